#!/usr/bin/env bash
# Install what the tests need, check lint (ruff) and types (mypy), then run the whole test suite.
# `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Lint and types first (settings in pyproject.toml): quick, and they name the line at fault.
.venv/bin/ruff check .
.venv/bin/mypy
set +e
.venv/bin/python -m pytest -q -ra "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "test.sh: pytest collected no test: that is a failure" >&2
  exit 1
fi
exit "$rc"
