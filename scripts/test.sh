#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, and all tests.
# Installs what the tests need (a Python venv with pyarrow and DuckDB from PyPI) on first use.
# Installs and starts the AWS emulators (kinesis-mock, single-threaded moto) on 127.0.0.1 and
# stops exactly those processes on exit. Tests that need them are #[ignore]d for a bare
# `cargo test` and run here with --include-ignored, so none is skipped in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
VENV="$CACHE/venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating Python venv in $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import pyarrow, duckdb, mmdb_writer, cfnlint" 2>/dev/null; then
  echo "== installing test dependencies (pyarrow, duckdb, mmdb-writer, cfn-lint) from PyPI"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
export CLICKSTREAM_PYTHON="$VENV/bin/python"

source scripts/emulators.sh
emulators_install "$VENV"

# cfn-lint, the least-privilege check of the task roles against the code's AWS calls (with its
# self-test), systemd unit verification: deploy/checks/run.sh.
bash deploy/checks/run.sh "$VENV/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo doc -D warnings (broken or private intra-doc links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "== cargo test (with the emulators)"
cargo test --workspace --no-run --quiet
emulators_start "$VENV"
trap emulators_stop EXIT
set +e
cargo test --workspace -- --include-ignored 2>&1 | tee "$CACHE/last-test.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "tests failed" >&2
  exit "$status"
fi
# An ignored test would be a skipped test: there must be none.
if grep -qE "test result: .* [1-9][0-9]* ignored" "$CACHE/last-test.log"; then
  echo "some tests were ignored" >&2
  exit 1
fi
# A run that executed nothing is not a pass.
if ! grep -q "test result: ok. [1-9]" "$CACHE/last-test.log"; then
  echo "no test ran" >&2
  exit 1
fi
