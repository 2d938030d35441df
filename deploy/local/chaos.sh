#!/usr/bin/env bash
# Chaos test of the enricher fleet (issue 5): loadgen → collector (durable acks) → stream →
# 2–4 `enricher run` processes that are killed with SIGKILL and restarted at random, scaled up
# once and down once; with --emulators (kinesis-mock + moto) the stream is also split and
# merged mid-run. Then everything it started is stopped, the output settles, and DuckDB checks
# that every acknowledged event reached the Parquet output. Ends with exactly one line:
#   sent=<n> unique_in_output=<n> lost=<n> duplicate_rows_before_dedupe=<n> duplicate_objects=<n>
# and exits 1 when lost > 0.
#
# Usage: deploy/local/chaos.sh [--emulators] [OUTPUT_DIR]
#   CHAOS_EVENTS (default 30000 embedded, 3000 emulators), CHAOS_RATE (events/s),
#   CHAOS_SEED (random actions), CHAOS_DEADLINE_SECS (whole run bound, default 600).
# Stops only the processes it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/../.."

EMULATORS=0
if [ "${1:-}" = "--emulators" ]; then EMULATORS=1; shift; fi
OUT="${1:-out/chaos}"
if [ "$EMULATORS" = 1 ]; then
  EVENTS="${CHAOS_EVENTS:-3000}"; RATE="${CHAOS_RATE:-150}"
else
  EVENTS="${CHAOS_EVENTS:-30000}"; RATE="${CHAOS_RATE:-1000}"
fi
RANDOM="${CHAOS_SEED:-5}"
CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
VENV="$CACHE/venv"

echo "== building (release)"
cargo build --quiet --release -p loadgen -p enricher -p collector
BIN="${CARGO_TARGET_DIR:-target}/release"
DEADLINE=$((SECONDS + ${CHAOS_DEADLINE_SECS:-600}))  # after the build, which may take long

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import duckdb" 2>/dev/null; then
  echo "== installing DuckDB (PyPI) into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi

# Every process we start, by PID; nothing is ever killed by name.
declare -A WORKERS=()   # name -> pid of the enricher workers alive
OTHER_PIDS=()           # collector, loadgen
stop_all() {
  local p
  for p in "${WORKERS[@]}" "${OTHER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${WORKERS[@]}" "${OTHER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  WORKERS=(); OTHER_PIDS=()
}
cleanup() {
  stop_all
  if [ "$EMULATORS" = 1 ]; then emulators_stop; fi
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/bin"
OUT=$(cd "$OUT" && pwd)
# Our own links to the binaries: a build elsewhere into a shared CARGO_TARGET_DIR replaces
# target/release/* mid-run, and restarts must run the same code as the first start.
for b in collector enricher loadgen; do cp -l "$BIN/$b" "$OUT/bin/" 2>/dev/null || cp "$BIN/$b" "$OUT/bin/"; done
BIN="$OUT/bin"
"$BIN/enricher" stream --help >/dev/null  # fails early on a stale binary without the admin commands
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
COLLECTOR_EXTRA=()
ENRICHER_EXTRA=()
if [ "$EMULATORS" = 1 ]; then
  source scripts/emulators.sh
  emulators_install "$VENV"
  emulators_start "$VENV"
  NAME="chaos-$(date +%s)-$$"
  STREAM="kinesis://$NAME"
  LEASES="dynamodb://$NAME-leases"
  COLLECTOR_EXTRA=(--create-stream-shards 2)
  ENRICHER_EXTRA=(--create-lease-table)
else
  STREAM="file://$OUT/stream?shards=4"
  LEASES="file://$OUT/leases"
fi
export ENRICHER_STREAM="$STREAM" ENRICHER_LEASES="$LEASES"

log() { echo "[$(date +%T)] $*"; }

echo "== collector on 127.0.0.1:$PORT → $STREAM (durable acks)"
"$BIN/collector" --listen "127.0.0.1:$PORT" --stream "$STREAM" --ack-mode durable \
  --worker-threads 1 "${COLLECTOR_EXTRA[@]}" 2>"$OUT/logs/collector.log" & COLLECTOR=$!
OTHER_PIDS+=("$COLLECTOR")
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "collector not ready" >&2; exit 1; }

STARTS=0
start_worker() {   # name
  STARTS=$((STARTS + 1))
  # Small flushes: many commits, so kills land between write and checkpoint.
  "$BIN/enricher" run --output "$OUT/lake" --worker-id "$1-$STARTS" \
    --flush-records 300 --flush-age-secs 1 --drain-secs 10 "${ENRICHER_EXTRA[@]}" \
    >>"$OUT/logs/enricher-$1.out" 2>>"$OUT/logs/enricher-$1.log" &
  WORKERS[$1]=$!
  log "started $1 (pid ${WORKERS[$1]}, worker id $1-$STARTS)"
}
kill9_worker() {   # name: SIGKILL, no chance to flush, checkpoint or release
  local pid="${WORKERS[$1]}"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "WORKERS[$1]"
  log "kill -9 $1 (pid $pid)"
}
stop_worker() {    # name: SIGTERM, the graceful scale-down (flush, checkpoint, release)
  local pid="${WORKERS[$1]}"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "WORKERS[$1]"
  log "scaled down: stopped $1 (pid $pid) with SIGTERM"
}
random_worker() { local names=("${!WORKERS[@]}"); echo "${names[$((RANDOM % ${#names[@]}))]}"; }
open_shards() {
  "$BIN/enricher" stream describe --json | "$VENV/bin/python" -c '
import json, sys
print(" ".join(s["shardId"] for s in json.load(sys.stdin) if s["open"]))'
}

start_worker w1
start_worker w2

log "loadgen send: $EVENTS pixel hits at $RATE/s"
"$BIN/loadgen" send --target "http://127.0.0.1:$PORT" --mode pixel --events "$EVENTS" \
  --rate "$RATE" --concurrency 8 --no-progress >"$OUT/loadgen.txt" 2>"$OUT/logs/loadgen.log" &
LOADGEN=$!; OTHER_PIDS+=("$LOADGEN")

# The chaos schedule, in steps of 2–4 s while loadgen runs: step 2 scales up to w3 (and w4
# on the embedded stream), step 5 scales down, every other step kills -9 a random worker and
# restarts it one step later. On the emulators, step 3 splits and step 6 merges the children.
KILLED=()
SPLIT_PARENT=""
step=0
while kill -0 "$LOADGEN" 2>/dev/null && [ "$SECONDS" -lt "$DEADLINE" ] && [ "$step" -lt 60 ]; do
  sleep "$((2 + RANDOM % 3))"
  step=$((step + 1))
  for name in "${KILLED[@]}"; do start_worker "$name"; done
  KILLED=()
  case "$step" in
    2) start_worker w3; [ "$EMULATORS" = 1 ] || start_worker w4 ;;
    5) stop_worker "$(random_worker)" ;;
    *) if [ "${#WORKERS[@]}" -ge 2 ]; then
         victim=$(random_worker); kill9_worker "$victim"; KILLED+=("$victim")
       fi ;;
  esac
  if [ "$EMULATORS" = 1 ] && [ "$step" = 3 ]; then
    SPLIT_PARENT=$(open_shards | cut -d' ' -f1)
    log "SplitShard $SPLIT_PARENT"
    "$BIN/enricher" stream split --shard "$SPLIT_PARENT" >>"$OUT/logs/reshard.log" 2>&1
  fi
  if [ "$EMULATORS" = 1 ] && [ "$step" = 6 ] && [ -n "$SPLIT_PARENT" ]; then
    read -r a b < <("$BIN/enricher" stream describe --json | "$VENV/bin/python" -c '
import json, sys
kids = sorted((int(s["startingHashKey"]), s["shardId"]) for s in json.load(sys.stdin)
              if s["open"] and s["parentShardId"] == sys.argv[1] and not s["adjacentParentShardId"])
print(" ".join(k for _, k in kids[:2]))' "$SPLIT_PARENT")
    log "MergeShards $a $b"
    "$BIN/enricher" stream merge --shard "$a" --adjacent "$b" >>"$OUT/logs/reshard.log" 2>&1
  fi
done
for name in "${KILLED[@]}"; do start_worker "$name"; done
if [ "${#WORKERS[@]}" -lt 2 ]; then start_worker w5; fi
if ! wait "$LOADGEN"; then log "loadgen reported failures (see $OUT/loadgen.txt)"; fi
cat "$OUT/loadgen.txt"
SENT=$(awk '/^2xx:/ {print $2}' "$OUT/loadgen.txt")

log "stopping the collector (drains its buffer) and listing every accepted event id"
kill -TERM "$COLLECTOR"; wait "$COLLECTOR" || true
"$BIN/enricher" stream dump --out "$OUT/stream-ids.tsv" 2>"$OUT/logs/dump.log"

log "waiting for the output to contain every id the stream holds (at most 180 s)"
SETTLE=$(( SECONDS + 180 < DEADLINE ? SECONDS + 180 : DEADLINE ))
"$VENV/bin/python" - "$OUT" "$SETTLE" "$SECONDS" <<'PY' || log "not settled: the check below counts what is missing"
import glob, sys, time, duckdb
out, settle, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
end = time.monotonic() + (settle - now)
con = duckdb.connect()
con.sql(f"create table want as select column2 as id from read_csv('{out}/stream-ids.tsv', delim='\t', header=false, all_varchar=true) where column3 = 'ok'")
missing = None
while time.monotonic() < end:
    try:
        if glob.glob(f"{out}/lake/incoming/**/*.parquet", recursive=True):
            missing = con.sql(f"select count(*) from want anti join (select distinct event_id from read_parquet('{out}/lake/incoming/**/*.parquet')) o on o.event_id = want.id").fetchall()[0][0]
            if missing == 0:
                sys.exit(0)
    except duckdb.Error:
        pass  # a fenced-out object deleted while we listed: look again
    time.sleep(2)
print(f"still missing {missing} ids", file=sys.stderr)
sys.exit(1)
PY

log "stopping the workers (SIGTERM: flush, checkpoint, release)"
stop_all
grep -h "RunSummary" "$OUT"/logs/enricher-*.out | sed 's/^/  /' || true
echo "== lease table at the end"
"$BIN/enricher" leases show --stream "$STREAM" | sed 's/^/  /' || true
cleanup

"$VENV/bin/python" - "$OUT" "$SENT" <<'PY'
import glob, os, re, sys, duckdb
out, sent = sys.argv[1], int(sys.argv[2] or 0)
con = duckdb.connect()
con.sql(f"""create table stream as select column0 as shard, column1 as seq, column2 as id, column3 as outcome
            from read_csv('{out}/stream-ids.tsv', delim='\t', header=false, all_varchar=true)""")
src = f"read_parquet('{out}/lake/incoming/**/*.parquet')"
con.sql(f"create table got as select event_id from {src}")
in_stream = con.sql("select count(distinct id) from stream").fetchall()[0][0]
by_outcome = dict(con.sql("select outcome, count(*) from stream group by all").fetchall())
rows, unique = con.sql("select count(*), count(distinct event_id) from got").fetchall()[0]
missing = con.sql("""select count(*) from (select distinct id from stream where outcome = 'ok') w
                     anti join (select distinct event_id from got) g on g.event_id = w.id""").fetchall()[0][0]
# An acknowledged event the stream does not hold was lost by the collector side.
lost = missing + max(0, sent - in_stream)
# Objects are named <shard>-<first>-<last>-e<epoch>.parquet: the same batch (partition, shard,
# first, last) under several epochs is a duplicate object; count all but one per batch.
batches = {}
for f in glob.glob(f"{out}/lake/incoming/**/*.parquet", recursive=True):
    m = re.fullmatch(r"(.+)-(\d+)-(\d+)-e(\d+)\.parquet", os.path.basename(f))
    if m:
        batches.setdefault((os.path.dirname(f), m[1], m[2], m[3]), set()).add(m[4])
dup_objects = sum(len(e) - 1 for e in batches.values())
dead = sum(1 for f in glob.glob(f"{out}/lake/errors/**/*.jsonl", recursive=True) for _ in open(f))
print(f"stream: {in_stream} distinct ids ({by_outcome}); dead-letter lines: {dead}; "
      f"Parquet: {rows} rows in {sum(len(e) for e in batches.values())} objects")
print(f"sent={sent} unique_in_output={unique} lost={lost} "
      f"duplicate_rows_before_dedupe={rows - unique} duplicate_objects={dup_objects}")
sys.exit(1 if lost > 0 else 0)
PY
