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
echo "== smoke deploy of the stack into moto's CloudFormation"
"$PY" deploy/checks/smoke_moto.py | grep -v '^ok ' || { echo "smoke deploy failed" >&2; "$PY" deploy/checks/smoke_moto.py >&2; exit 1; }

echo "== EC2 variant: systemd units"
if command -v systemd-analyze >/dev/null; then
  # Verify copies whose binaries point at stubs (the real ones live in /opt/clickstream/bin on a host).
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/bin"
  for b in collector enricher compactor; do printf '#!/bin/sh\n' >"$tmp/bin/$b"; chmod +x "$tmp/bin/$b"; done
  for f in deploy/ec2/*.service deploy/ec2/*.timer; do
    sed "s|/opt/clickstream/bin/|$tmp/bin/|g" "$f" >"$tmp/$(basename "$f")"
  done
  out=$(cd "$tmp" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1 || true)
  if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
  echo "systemd-analyze verify: clean"
else
  echo "systemd-analyze not installed: unit verification skipped"
fi
for s in deploy/ec2/user-data.sh deploy/aws/deploy.sh deploy/local/*.sh scripts/build-release.sh; do bash -n "$s"; done
