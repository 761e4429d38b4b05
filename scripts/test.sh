#!/usr/bin/env bash
# Install what the tests need, check lint (ruff) and types (mypy), then run the whole test suite.
# `.ci/run` calls this same script.
#
# Elasticsearch: unless DIGITIZE_ES_URL already points at a cluster (or DIGITIZE_TEST_ES=0),
# this starts two throw-away nodes with scripts/es.sh (8.x and 9.x, 127.0.0.1 only), runs the
# whole suite against the 8.x node and the Elasticsearch tests (-m "es and not slow": not those
# that start nodes of their own) again against the 9.x node, and stops both by their PIDs, also
# on failure. Where the distribution cannot be fetched
# (Maven Central unreachable), the Elasticsearch tests skip with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Lint and types first (settings in pyproject.toml): quick, and they name the line at fault.
.venv/bin/ruff check .
.venv/bin/mypy

ES8=${DIGITIZE_ES_VERSION:-8.19.21}
ES9=${DIGITIZE_ES9_VERSION:-9.2.4}
tmp=$(mktemp -d)
started=()
cleanup() {
  for n in "${started[@]}"; do bash scripts/es.sh stop --name "$n" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

start_node() {  # VERSION NAME -> writes the URL to $tmp/NAME.url, or the reason to $tmp/NAME.skip
  local rc=0
  bash scripts/es.sh start --version "$1" --name "$2" >"$tmp/$2.url" 2>"$tmp/$2.log" || rc=$?
  if [ "$rc" = 3 ]; then
    tail -n 1 "$tmp/$2.log" | sed 's/^es.sh: //' >"$tmp/$2.skip"
  elif [ "$rc" != 0 ]; then
    cat "$tmp/$2.log" >&2
    echo "test.sh: Elasticsearch $1 did not start" >&2
    return 1
  fi
}

url9=""
if [ -z "${DIGITIZE_ES_URL:-}" ] && [ "${DIGITIZE_TEST_ES:-1}" != 0 ]; then
  n8="test8-$$"; n9="test9-$$"
  started+=("$n8" "$n9")
  start_node "$ES9" "$n9" & pid9=$!   # both JVMs start at once: less waiting in all
  start_node "$ES8" "$n8"
  wait "$pid9"
  if [ -s "$tmp/$n8.url" ]; then
    export DIGITIZE_ES_URL; DIGITIZE_ES_URL=$(cat "$tmp/$n8.url")
    export DIGITIZE_ES_VERSION=$ES8
  else
    export DIGITIZE_ES_SKIP="Elasticsearch: $(cat "$tmp/$n8.skip")"
  fi
  [ -s "$tmp/$n9.url" ] && url9=$(cat "$tmp/$n9.url")
fi

set +e
.venv/bin/python -m pytest -q -ra "$@"
rc=$?
rc9=0
if [ "$rc" != 5 ] && [ -n "$url9" ]; then
  echo "test.sh: the Elasticsearch tests again, against Elasticsearch $ES9" >&2
  DIGITIZE_ES_URL=$url9 DIGITIZE_ES_VERSION=$ES9 .venv/bin/python -m pytest -q -ra \
    -m "es and not slow" "$@"
  rc9=$?
fi
set -e
if [ "$rc" = 5 ] || [ "$rc9" = 5 ]; then
  echo "test.sh: pytest collected no test: that is a failure" >&2
  exit 1
fi
[ "$rc" != 0 ] && exit "$rc"
exit "$rc9"
