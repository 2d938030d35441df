#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, and all tests.
# Installs what the tests need (a Python venv with pyarrow and DuckDB from PyPI) on first use.
# Emulators for the AWS adapters are added here by the issues that bring those adapters.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
VENV="$CACHE/venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating Python venv in $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import pyarrow, duckdb, mmdb_writer" 2>/dev/null; then
  echo "== installing test dependencies (pyarrow, duckdb, mmdb-writer) from PyPI"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
export CLICKSTREAM_PYTHON="$VENV/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace 2>&1 | tee "$CACHE/last-test.log"
# A run that executed nothing is not a pass.
if ! grep -q "test result: ok. [1-9]" "$CACHE/last-test.log"; then
  echo "no test ran" >&2
  exit 1
fi
