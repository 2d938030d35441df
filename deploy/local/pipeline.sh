#!/usr/bin/env bash
# The whole pipeline on one machine, on the embedded default (no AWS, no emulator):
# loadgen → HTTP → collector → embedded stream → two enricher workers (shard leases) → Parquet,
# then a summary of what landed where and a DuckDB query over the Parquet.
# Usage: deploy/local/pipeline.sh [OUTPUT_DIR]   (PIPELINE_EVENTS=N to change the volume)
# Stops only the processes it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT="${1:-out/pipeline}"
EVENTS="${PIPELINE_EVENTS:-20000}"
CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
VENV="$CACHE/venv"

echo "== building (the first run compiles dependencies: several minutes)"
cargo build --quiet --release -p loadgen -p enricher -p collector
BIN="${CARGO_TARGET_DIR:-target}/release"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STREAM="file://$OUT/stream?shards=4"
LEASES="file://$OUT/leases"

echo "== collector on 127.0.0.1:$PORT → $STREAM"
"$BIN/collector" --listen "127.0.0.1:$PORT" --stream "$STREAM" --worker-threads 1 \
  2>"$OUT/logs/collector.log" & COLLECTOR=$!; PIDS+=($COLLECTOR)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

for w in 1 2; do
  echo "== enricher worker w$w (leases in $LEASES)"
  "$BIN/enricher" run --stream "$STREAM" --leases "$LEASES" --output "$OUT/lake" \
    --worker-id "w$w" --flush-age-secs 2 >"$OUT/logs/enricher-w$w.out" 2>"$OUT/logs/enricher-w$w.log" & PIDS+=($!)
done

echo "== loadgen send: $EVENTS pixel hits and $((EVENTS / 10)) /collect events"
"$BIN/loadgen" send --target "http://127.0.0.1:$PORT" --mode pixel --events "$EVENTS" --no-progress | tail -n 8
"$BIN/loadgen" send --target "http://127.0.0.1:$PORT" --mode batch --events "$((EVENTS / 10))" --seed 7 --no-progress | tail -n 3

# Caught up when every lease's checkpoint reached its shard's last sequence number.
caught_up() {
  python3 - "$OUT/stream/stream.db" "$OUT/leases/leases.db" <<'PY'
import json, sqlite3, sys
tip = dict(sqlite3.connect(sys.argv[1]).execute("select shard, max(seq) from records group by shard"))
cps = {}
for key, body in sqlite3.connect(sys.argv[2]).execute("select lease_key, body from leases"):
    cp = json.loads(body).get("checkpoint")
    cps[int(key.rsplit("-", 1)[1])] = cp
def reached(shard, last):
    cp = cps.get(shard)
    text = json.dumps(cp)
    digits = "".join(ch for ch in text if ch.isdigit())
    return "SHARD_END" in text or (digits != "" and int(digits) >= last)
sys.exit(0 if all(reached(s, last) for s, last in tip.items()) else 1)
PY
}
echo "== waiting for the enrichers to catch up"
for _ in $(seq 300); do caught_up && break; sleep 0.2; done
caught_up || { echo "enrichers did not catch up within 60 s" >&2; exit 1; }

echo "== stopping (SIGTERM: collector drains; enrichers flush, checkpoint, release leases)"
cleanup; PIDS=()

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import duckdb" 2>/dev/null; then
  echo "== installing DuckDB (PyPI) into $VENV to query the result"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
"$VENV/bin/python" - "$OUT" <<'PY'
import glob, json, os, sqlite3, sys, duckdb
out = sys.argv[1]
stream = sqlite3.connect(f"{out}/stream/stream.db").execute("select count(*) from records").fetchone()[0]
files = glob.glob(f"{out}/lake/incoming/**/*.parquet", recursive=True)
src = f"read_parquet('{out}/lake/incoming/**/*.parquet', hive_partitioning = true)"
rows, ids = duckdb.sql(f"select count(*), count(distinct event_id) from {src}").fetchall()[0]
dead = sum(1 for f in glob.glob(f"{out}/lake/errors/**/*.jsonl", recursive=True) for _ in open(f))
print(f"records in the stream: {stream}")
print(f"rows in Parquet: {rows} ({ids} distinct event ids) in {len(files)} files; dead letters: {dead}; "
      f"dropped by rule (e.g. identify hits): {stream - rows - dead}")
print(duckdb.sql(f"""
  select domain_name, event_type, source, count(*) as hits, count(distinct daily_visitor_id) as visitors
  from {src} group by all order by hits desc limit 10"""))
PY
echo "Output under $OUT/lake (incoming/ Parquet, errors/ dead letters); logs under $OUT/logs"
