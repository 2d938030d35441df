#!/usr/bin/env bash
# Collector accept + persist into the embedded stream vs nginx serving empty_gif with a buffered
# access log, same requests (~500-byte pixel query, real UA and Referer), `wrk -t2 -c64 -d10s`,
# alternating runs, medians. Usage: scripts/bench-collector.sh [runs=3] [extra collector flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"; shift || true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clickstream/target}"
command -v wrk >/dev/null && command -v nginx >/dev/null || sudo_apt=1
if [ "${sudo_apt:-0}" = 1 ]; then apt-get install -y -q nginx-light wrk >/dev/null; fi
cargo build --release -q -p collector
BIN="$CARGO_TARGET_DIR/release/collector"

WORK=$(mktemp -d /tmp/bench-collector.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NPORT=$(free_port); CPORT=$(free_port)

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log $WORK/nginx/logs/access.log combined buffer=64k flush=1s;
  server {
    listen 127.0.0.1:$NPORT;
    location = /hello.gif { empty_gif; add_header Cache-Control "no-store"; }
  }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & NPID=$!; PIDS+=($NPID)
"$BIN" --listen "127.0.0.1:$CPORT" --stream "file://$WORK/stream?shards=4" "$@" 2>"$WORK/collector.log" & CPID=$!; PIDS+=($CPID)
for port in $NPORT $CPORT; do
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

UA='Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
REF='https://mapthe.cloud/regions/aws/eu-central-1'
Q='t=pv&ts=1702852983288&u=https%3A%2F%2Fmapthe.cloud%2Fregions%2Faws%2Feu-central-1%3Futm_source%3Dnewsletter%26utm_medium%3Demail%26utm_campaign%3Dlaunch&hn=mapthe.cloud&pa=%2Fregions%2Faws%2Feu-central-1&ua=Mozilla%2F5.0%20(Macintosh%3B%20Intel%20Mac%20OS%20X%2010_15_7)%20AppleWebKit%2F537.36%20(KHTML%2C%20like%20Gecko)%20Chrome%2F120.0.0.0%20Safari%2F537.36&r=https%3A%2F%2Fcloudsecdocs.com%2F&iw=1728&ih=995&ti=Map%20the%20Cloud&w=1728&h=1117&d=30&l=en-US&p=MacIntel&m=8&c=10&tz=America%2FLos_Angeles'
echo "query bytes: ${#Q}"

run_wrk() { timeout 60 wrk -t2 -c64 -d10s -H "User-Agent: $UA" -H "Referer: $REF" "http://127.0.0.1:$1/hello.gif?$Q" 2>&1; }
rate() { awk '/Requests\/sec/ {print $2}'; }
requests() { awk '/requests in/ {print $1}'; }
# CPU seconds (user + system, all threads) used so far by a process and its children: the
# server's CPU per request is steadier than its rate on a noisy 2-core machine, where wrk
# competes with the server for the same cores.
cpu_secs() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  python3 -c "print($t / $(getconf CLK_TCK))"
}
per_req_us() { python3 -c "print(round(($2 - $1) * 1e6 / $3, 1))"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: >"$WORK/n.txt"; : >"$WORK/c.txt"; : >"$WORK/ncpu.txt"; : >"$WORK/ccpu.txt"
for i in $(seq "$RUNS"); do
  t0=$(cpu_secs "$NPID"); out=$(run_wrk "$NPORT"); t1=$(cpu_secs "$NPID")
  echo "$out" | rate >>"$WORK/n.txt"; us=$(per_req_us "$t0" "$t1" "$(echo "$out" | requests)"); echo "$us" >>"$WORK/ncpu.txt"
  echo "run $i nginx:     $(echo "$out" | rate) req/s, ${us} CPU-us/req $(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"
  t0=$(cpu_secs "$CPID"); out=$(run_wrk "$CPORT"); t1=$(cpu_secs "$CPID")
  echo "$out" | rate >>"$WORK/c.txt"; us=$(per_req_us "$t0" "$t1" "$(echo "$out" | requests)"); echo "$us" >>"$WORK/ccpu.txt"
  echo "run $i collector: $(echo "$out" | rate) req/s, ${us} CPU-us/req $(echo "$out" | grep -E 'Latency|Non-2xx|Socket errors' | tr -s ' ' | tr '\n' ' ')"
done
rss=$(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$CPID/status)
kill -TERM "$CPID"; wait "$CPID" || true
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select coalesce(sum(count), 0) from chunks').fetchone()[0])" "$WORK/stream/stream.db")
n=$(median <"$WORK/n.txt"); c=$(median <"$WORK/c.txt")
echo "nginx_median_rps=$n collector_median_rps=$c ratio=$(python3 -c "print(round($c/$n,2))") nginx_cpu_us_per_req=$(median <"$WORK/ncpu.txt") collector_cpu_us_per_req=$(median <"$WORK/ccpu.txt") collector_peak_rss=$rss records_in_stream=$stored"
