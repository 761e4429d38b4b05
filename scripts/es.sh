#!/usr/bin/env bash
# A throw-away single-node Elasticsearch on this machine, for the tests and the benchmarks.
#
#   scripts/es.sh start  [--version V] [--name N] [--heap 512m] [--setting key=value]... [--keep]
#   scripts/es.sh status [--name N]
#   scripts/es.sh stop   [--name N]
#
# `start` fetches Elastic's integration-test distribution once from Maven Central
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:V, zip, no bundled JDK) into a
# cache outside the repository, starts one node bound to 127.0.0.1 only, on a free port, with a
# data folder of its own (emptied at every start; --keep starts a stopped node again with its
# data and port), waits until the cluster is healthy and prints its URL on stdout. `stop` ends the node by the PID it wrote at start. Security is off in this
# node: no TLS, no users, no API keys.
#
# Java: 8.x runs on the default Java 17; 9.x needs Java 21 or newer ($DIGITIZE_ES_JAVA9, default
# /usr/lib/jvm/temurin-25-jdk-amd64). Elasticsearch refuses to run as root: as root the node runs
# as the system user `digitize-es` (created on first use) and the cache is /var/cache/digitize-es.
#
# Exit codes: 0 ok; 1 the node failed to start or is not running (status); 2 usage;
# 3 the distribution could not be fetched (no Maven, or Maven Central unreachable).
set -euo pipefail

DEFAULT_VERSION=8.19.21
version=$DEFAULT_VERSION; name=""; heap=512m; settings=(); keep=0; cmd=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --setting) settings+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "es.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
major=${version%%.*}
[ -n "$name" ] || name="es$major"

if [ "$(id -u)" = 0 ]; then
  cache=${DIGITIZE_ES_CACHE:-/var/cache/digitize-es}
  run_as=digitize-es
else
  cache=${DIGITIZE_ES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/digitize/es}
  run_as=""
fi
node="$cache/nodes/$name"
home="$cache/dist/elasticsearch-$version"

say() { echo "es.sh: $*" >&2; }

node_pid() {  # the PID of this node when it is running, else nothing
  local pid
  [ -f "$node/pid" ] || return 0
  pid=$(cat "$node/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

healthy() {  # the cluster answers and is at least yellow
  curl -fsS --max-time 5 "$1/_cluster/health?wait_for_status=yellow&timeout=4s" 2>/dev/null \
    | grep -Eq '"status":"(green|yellow)"'
}

fetch() {
  [ -x "$home/bin/elasticsearch" ] && return 0
  if ! command -v mvn >/dev/null; then
    say "Maven (mvn) is not installed: run scripts/setup.sh --test"; exit 3
  fi
  local dl="$cache/dist/download"
  mkdir -p "$dl"
  say "fetching Elasticsearch $version from Maven Central (once; about 110 MB)"
  if ! mvn -B -q dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" \
      "-DoutputDirectory=$dl" >"$dl/mvn.log" 2>&1; then
    say "could not fetch Elasticsearch $version from Maven Central (see $dl/mvn.log)"; exit 3
  fi
  rm -rf "$home.part"
  mkdir -p "$home.part"
  unzip -q "$dl/elasticsearch-$version.zip" -d "$home.part"
  mv "$home.part/elasticsearch-$version" "$home"
  rm -rf "$home.part" "$dl/elasticsearch-$version.zip"
}

java_home() {
  if [ "$major" -ge 9 ]; then
    echo "${DIGITIZE_ES_JAVA9:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  elif [ -n "${DIGITIZE_ES_JAVA8:-}" ]; then
    echo "$DIGITIZE_ES_JAVA8"
  else
    local j; j=$(readlink -f "$(command -v java)"); echo "${j%/bin/java}"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if [ -n "$(node_pid)" ]; then
    say "node $name is already running"; cat "$node/url"; return 0
  fi
  fetch
  local jh; jh=$(java_home)
  if [ ! -x "$jh/bin/java" ]; then
    say "no Java for Elasticsearch $version at $jh (9.x needs Java 21+: set DIGITIZE_ES_JAVA9)"
    exit 1
  fi
  if [ -n "$run_as" ] && ! id "$run_as" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$run_as"
  fi
  local port tport
  if [ "$keep" = 1 ] && [ -f "$node/ports" ]; then
    read -r port tport <"$node/ports"
  else
    rm -rf "$node"
    port=$(free_port); tport=$(free_port)
    while [ "$tport" = "$port" ]; do tport=$(free_port); done
  fi
  mkdir -p "$node/data" "$node/logs" "$node/tmp"
  rm -rf "$node/config"
  cp -r "$home/config" "$node/config"
  echo "$port $tport" >"$node/ports"
  {
    echo "cluster.name: digitize-$name"
    echo "node.name: $name"
    echo "discovery.type: single-node"
    echo "network.host: 127.0.0.1"
    echo "http.port: $port"
    echo "transport.port: $tport"
    echo "path.data: $node/data"
    echo "path.logs: $node/logs"
    echo "xpack.security.enabled: false"
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    for s in "${settings[@]}"; do echo "${s%%=*}: ${s#*=}"; done
  } >"$node/config/elasticsearch.yml"
  printf -- '-Xms%s\n-Xmx%s\n' "$heap" "$heap" >"$node/config/jvm.options.d/heap.options"
  local url="http://127.0.0.1:$port"
  echo "$url" >"$node/url"
  [ -z "$run_as" ] || chown -R "$run_as" "$node"
  say "starting Elasticsearch $version as node $name at $url"
  local env=(env -i PATH=/usr/bin:/bin "ES_JAVA_HOME=$jh" "ES_PATH_CONF=$node/config"
             "ES_TMPDIR=$node/tmp" "HOME=$node")
  local launch=("$home/bin/elasticsearch" -d -p "$node/pid")
  if [ -n "$run_as" ]; then
    runuser -u "$run_as" -- "${env[@]}" "${launch[@]}" >"$node/launch.log" 2>&1 || true
  else
    "${env[@]}" "${launch[@]}" >"$node/launch.log" 2>&1 || true
  fi
  local waited=0
  until healthy "$url"; do
    if [ -z "$(node_pid)" ] && [ "$waited" -ge 5 ]; then
      say "node $name did not start; the end of its logs:"
      tail -n 30 "$node/launch.log" "$node/logs/digitize-$name.log" 2>/dev/null >&2 || true
      exit 1
    fi
    if [ "$waited" -ge 180 ]; then
      say "node $name not healthy after 180 s; stopping it"; keep=0; stop; exit 1
    fi
    sleep 1; waited=$((waited + 1))
  done
  say "node $name ready (pid $(node_pid)) after ${waited}s"
  echo "$url"
}

stop() {  # --keep: leave its data and port for a later `start --keep`
  local pid; pid=$(node_pid)
  if [ -z "$pid" ]; then
    say "node $name is not running"
  else
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    say "node $name (pid $pid) stopped"
  fi
  [ "$keep" = 1 ] || rm -rf "$node"
}

status() {
  local pid; pid=$(node_pid)
  if [ -n "$pid" ] && healthy "$(cat "$node/url")"; then
    say "node $name running (pid $pid)"; cat "$node/url"
  else
    say "node $name is not running"; exit 1
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/es.sh start|stop|status [--version V] [--name N] [--heap 512m] [--setting k=v]" >&2
     exit 2 ;;
esac
