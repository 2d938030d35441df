#!/usr/bin/env bash
# The release build of every binary — the one command both the Dockerfile and CI (.ci/run) run,
# so what CI compiles is what the image ships.
# Usage: scripts/build-release.sh [DEST_DIR]   (copies the binaries to DEST_DIR when given)
# Honours CARGO_TARGET_DIR (CI keeps it outside the clone to reuse compiled dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."

BINARIES=(collector enricher compactor loadgen)

# --locked: build exactly the dependency versions of Cargo.lock, never resolve anew.
cargo build --release --locked $(printf -- '-p %s ' "${BINARIES[@]}")

dest="${1:-}"
if [ -n "$dest" ]; then
  mkdir -p "$dest"
  for b in "${BINARIES[@]}"; do
    cp "${CARGO_TARGET_DIR:-target}/release/$b" "$dest/$b"
  done
  echo "release binaries in $dest: ${BINARIES[*]}"
fi
