#!/usr/bin/env bash
# Benchmarks of the enricher fleet (issue 5), release build, on the embedded backends:
#   (a) failover: 2 workers, 8 shards, steady load through the collector; kill -9 one worker
#       and time, from the kill, the survivor's take of the last orphaned shard (lease table)
#       and the first checkpoint past the kill position on every orphaned shard;
#   (b) throughput: a stream pre-filled with a synthetic envelope file → one `enricher run` →
#       Parquet on local disk, records per CPU second, next to `enricher bench` on that file;
#   (c) peak RSS of that worker with 8 shards and the default flush settings (/usr/bin/time -v).
# Usage: scripts/bench-enricher-fleet.sh [failover|throughput|all]  (BENCH_RUNS, default 5)
# Stops only the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."

WHAT="${1:-all}"
RUNS="${BENCH_RUNS:-5}"
CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
PY="$CACHE/venv/bin/python"
[ -x "$PY" ] || PY=python3
WORK="${BENCH_DIR:-$CACHE/bench-fleet}"
echo "== building (release)"
cargo build --quiet --release -p loadgen -p enricher -p collector
BIN="${CARGO_TARGET_DIR:-target}/release"
# Own links to the binaries: another build into a shared target dir must not swap them mid-run.
mkdir -p "$WORK/bin"
for b in collector enricher loadgen; do cp -lf "$BIN/$b" "$WORK/bin/" 2>/dev/null || cp -f "$BIN/$b" "$WORK/bin/"; done
BIN="$WORK/bin"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
calc() { awk "BEGIN {print $1}"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# --- (a) failover ------------------------------------------------------------------------
failover_run() {   # run number → prints "take_s first_checkpoint_s read_again_s"
  local dir="$WORK/failover-$1"
  rm -rf "$dir"; mkdir -p "$dir/logs"
  local port stream="file://$dir/stream?shards=8" leases="file://$dir/leases"
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN/collector" --listen "127.0.0.1:$port" --stream "$stream" --worker-threads 1 \
    2>"$dir/logs/collector.log" & PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  "$BIN/loadgen" send --target "http://127.0.0.1:$port" --duration 40 --rate 2000 \
    --concurrency 8 --no-progress >"$dir/logs/loadgen.out" 2>&1 & PIDS+=($!)
  local w pid_w2
  for w in w1 w2; do
    "$BIN/enricher" run --stream "$stream" --leases "$leases" --output "$dir/lake" \
      --worker-id "$w" --flush-age-secs 1 2>"$dir/logs/$w.log" >/dev/null & PIDS+=($!)
    [ "$w" = w2 ] && pid_w2=$!
  done
  # Balanced (4 + 4) and committing, then the kill and the measurement, in one process so
  # that the kill time and the lease observations share one clock.
  "$PY" - "$dir/leases/leases.db" "$pid_w2" "$dir/logs/w1.log" <<'PY'
import datetime, json, os, re, signal, sqlite3, sys, time
db, victim, survivor_log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def leases():
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        rows = c.execute("select lease_key, lease_owner, body from leases").fetchall()
        c.close()
    except sqlite3.Error:
        return None
    out = {}
    for key, owner, body in rows:
        cp = json.loads(body).get("checkpoint")
        seq = int(cp["Sequence"]["sequence_number"]) if isinstance(cp, dict) and "Sequence" in cp else -1
        out[key] = (owner, seq)
    return out
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    l = leases()
    if l and len(l) == 8 and sum(o == "w2" for o, _ in l.values()) == 4 \
            and sum(o == "w1" for o, _ in l.values()) == 4 and all(s > 0 for _, s in l.values()):
        break
    time.sleep(0.1)
else:
    sys.exit(f"never balanced 4+4 with checkpoints: {leases()}")
time.sleep(2)
at_kill = leases()
orphans = {k: s for k, (o, s) in at_kill.items() if o == "w2"}
t0 = time.monotonic()
kill_wall = time.time()
os.kill(victim, signal.SIGKILL)
taken, advanced = {}, {}
while time.monotonic() < t0 + 30 and len(advanced) < len(orphans):
    l = leases() or {}
    now = time.monotonic() - t0
    for k, s0 in orphans.items():
        owner, s = l.get(k, (None, -1))
        if owner == "w1" and k not in taken:
            taken[k] = now
        if owner == "w1" and s > s0 and k not in advanced:
            advanced[k] = now
    time.sleep(0.02)
if len(advanced) < len(orphans):
    sys.exit(f"orphans not all taken over within 30 s: taken {taken}, advanced {advanced}")
# The survivor logs "reading from the checkpoint" when it opens a shard it took: the moment
# the shard is read again (wall clock, from its log).
read = {}
ansi = re.compile(r"\x1b\[[0-9;]*m")
for line in open(survivor_log, errors="replace"):
    line = ansi.sub("", line)
    if "reading from the checkpoint" not in line:
        continue
    m = re.search(r"checkpoint shard=(\S+)", line)
    ts = datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()
    if m and m.group(1) in orphans and ts >= kill_wall:
        read.setdefault(m.group(1), ts - kill_wall)
if len(read) < len(orphans):
    sys.exit(f"survivor log shows {len(read)} of {len(orphans)} orphans read again")
print(f"{max(taken.values()):.2f} {max(advanced.values()):.2f} {max(read.values()):.2f}")
PY
  cleanup
}

# --- (b) throughput and (c) RSS ----------------------------------------------------------
# Waits until every lease's checkpoint reached its shard's last sequence number.
caught_up() {  # dir
  "$PY" - "$1/stream/stream.db" "$1/leases/leases.db" <<'PY'
import json, sqlite3, sys
tip = dict(sqlite3.connect(sys.argv[1]).execute("select shard, max(first_seq + count - 1) from chunks group by shard"))
cps = {}
for key, body in sqlite3.connect(sys.argv[2]).execute("select lease_key, body from leases"):
    cp = json.loads(body).get("checkpoint")
    cps[int(key.rsplit("-", 1)[1])] = int(cp["Sequence"]["sequence_number"]) if isinstance(cp, dict) and "Sequence" in cp else -1
sys.exit(0 if tip and all(cps.get(s, -1) >= last for s, last in tip.items()) else 1)
PY
}

throughput_run() {  # run number, flush-age secs → prints "records wall_s cpu_s max_rss_kb"
  local dir="$WORK/throughput-$1" age="$2"
  rm -rf "$dir"; mkdir -p "$dir"
  "$BIN/enricher" stream --stream "file://$dir/stream?shards=8" fill --input "$ENV_FILE" >/dev/null
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$dir/time.txt" "$BIN/enricher" run --stream "file://$dir/stream?shards=8" \
    --leases "file://$dir/leases" --output "$dir/lake" --worker-id solo \
    --flush-age-secs "$age" >/dev/null 2>"$dir/worker.log" & local pid=$!
  PIDS+=($pid)
  for _ in $(seq 1200); do caught_up "$dir" 2>/dev/null && break; sleep 0.1; done
  end=$(date +%s.%N)
  caught_up "$dir" || { echo "worker did not catch up" >&2; exit 1; }  # trap stops it
  # /usr/bin/time's child is the worker: SIGTERM it (graceful), by its pid.
  local child; child=$(pgrep -P "$pid" || true)
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  wait "$pid" || true
  PIDS=()
  local user sys rss
  user=$(awk -F': ' '/User time/ {print $2}' "$dir/time.txt")
  sys=$(awk -F': ' '/System time/ {print $2}' "$dir/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$dir/time.txt")
  echo "$RECORDS $(calc "$end - $start") $(calc "$user + $sys") $rss"
}

mkdir -p "$WORK"
if [ "$WHAT" = failover ] || [ "$WHAT" = all ]; then
  echo "== (a) failover: 8 shards, 2 workers, 2000 events/s, kill -9 one (ENRICHER_FAILOVER_MS default 3000)"
  : >"$WORK/failover.txt"
  for i in $(seq "$RUNS"); do
    failover_run "$i" >"$WORK/run.txt"; r=$(cat "$WORK/run.txt"); echo "run $i: take_last_orphan_s first_checkpoint_all_orphans_s read_again_all_orphans_s = $r"
    echo "$r" >>"$WORK/failover.txt"
  done
  echo "failover_take_s_median=$(cut -d' ' -f1 "$WORK/failover.txt" | median)" \
       "failover_first_checkpoint_s_median=$(cut -d' ' -f2 "$WORK/failover.txt" | median)" \
       "failover_read_again_s_median=$(cut -d' ' -f3 "$WORK/failover.txt" | median)"
fi

if [ "$WHAT" = throughput ] || [ "$WHAT" = all ]; then
  ENV_FILE="$WORK/env200k.rec"; RECORDS=200000
  [ -s "$ENV_FILE" ] || "$BIN/loadgen" synth --events "$RECORDS" --seed 42 --format envelope \
    --collect-share 0.3 --output "$ENV_FILE"
  echo "== (b) end to end: 200k envelopes pre-filled into an 8-shard embedded stream → 1 worker → Parquet"
  : >"$WORK/throughput.txt"
  for i in $(seq "$RUNS"); do
    throughput_run "$i" 5 >"$WORK/run.txt"; r=$(cat "$WORK/run.txt")
    read -r n wall cpu rss <<<"$r"
    echo "run $i: $n records, wall ${wall}s, cpu ${cpu}s, max RSS ${rss} kB →" \
      "$(calc "int($n / $cpu)") records per CPU second, $(calc "int($n / $wall)") records/s wall"
    echo "$(calc "int($n / $cpu)") $(calc "int($n / $wall)")" >>"$WORK/throughput.txt"
  done
  echo "e2e_records_per_cpu_second_median=$(cut -d' ' -f1 "$WORK/throughput.txt" | median)" \
       "e2e_records_per_wall_second_median=$(cut -d' ' -f2 "$WORK/throughput.txt" | median)"
  echo "== enricher bench on the same file"
  "$BIN/enricher" bench --input "$ENV_FILE" --runs 3 | tail -n 1
  echo "== (c) peak RSS: 8 shards, default flush settings (100k records or 64 MiB per shard / 60 s; 80k records buffered per worker)"
  : >"$WORK/rss.txt"
  for i in $(seq 3); do
    throughput_run "rss-$i" 60 >"$WORK/run.txt"; r=$(cat "$WORK/run.txt")
    read -r n wall cpu rss <<<"$r"
    echo "run $i: max RSS ${rss} kB (wall ${wall}s)"; echo "$rss" >>"$WORK/rss.txt"
  done
  echo "peak_rss_mb_median=$(( $(median <"$WORK/rss.txt" | cut -d. -f1) / 1024 ))"
fi
