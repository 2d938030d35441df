#!/usr/bin/env bash
# The deploy checks (run by scripts/test.sh): cfn-lint on every CloudFormation template, the
# least-privilege check of the task roles against the AWS calls in the Rust sources, and its
# self-test (mutated templates and sources must fail). Needs the test venv (cfn-lint, PyYAML,
# botocore): scripts/requirements-test.txt.
# Usage: deploy/checks/run.sh [PYTHON]   (default: $CLICKSTREAM_PYTHON or the test venv's)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-${CLICKSTREAM_PYTHON:-${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}/venv/bin/python}}"

CFN_LINT="$(dirname "$PY")/cfn-lint"
echo "== cfn-lint $("$CFN_LINT" --version)"
"$CFN_LINT" deploy/cloudformation/*.yaml
echo "== IAM least privilege = the code's AWS calls"
"$PY" deploy/checks/iam_check.py
"$PY" deploy/checks/selftest.py
