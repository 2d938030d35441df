#!/usr/bin/env bash
# The whole pipeline on one machine, on the embedded default (no AWS, no emulator):
# loadgen → HTTP → collector → embedded stream → two enricher workers (shard leases) → Parquet,
# then a summary of what landed where and a DuckDB query over the Parquet.
# Usage: deploy/local/pipeline.sh [--emulators] [OUTPUT_DIR]   (PIPELINE_EVENTS=N to change the volume)
#   --emulators: the same pipeline on the AWS code paths against local emulators
#   (scripts/emulators.sh: kinesis-mock for Kinesis, moto for DynamoDB and S3): kinesis://,
#   dynamodb:// and s3:// URLs instead of the embedded ones; the lake is downloaded for the report.
# Stops only the processes it started (and, with --emulators, the emulators it started).
set -euo pipefail
cd "$(dirname "$0")/../.."

MODE=embedded
if [ "${1:-}" = "--emulators" ]; then MODE=emulators; shift; fi
OUT="${1:-out/pipeline}"
# kinesis-mock takes ~1k records/s: a smaller default volume against the emulators.
if [ "$MODE" = emulators ]; then EVENTS="${PIPELINE_EVENTS:-2000}"; else EVENTS="${PIPELINE_EVENTS:-20000}"; fi
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
EMU_STARTED=0
stop_emulators() { if [ "$EMU_STARTED" = 1 ]; then emulators_stop; fi; }
trap 'cleanup; stop_emulators' EXIT

rm -rf "$OUT"
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STREAM="file://$OUT/stream?shards=4"
LEASES="file://$OUT/leases"
LAKE="$OUT/lake"
COLLECTOR_ARGS=(); ENRICHER_ARGS=()
if [ "$MODE" = emulators ]; then
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  if ! "$VENV/bin/python" -c "import duckdb, boto3" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  fi
  source scripts/emulators.sh
  emulators_install "$VENV"
  emulators_start "$VENV"; EMU_STARTED=1
  # Fresh emulators every run, so fixed names. The collector creates the stream and the
  # workers the lease table (on AWS the stack creates both).
  STREAM="kinesis://clicks"; LEASES="dynamodb://leases"; LAKE="s3://lake"
  COLLECTOR_ARGS=(--create-stream-shards 4); ENRICHER_ARGS=(--create-lease-table)
  "$VENV/bin/python" deploy/local/aws_local.py create-bucket lake
fi

echo "== collector on 127.0.0.1:$PORT → $STREAM"
"$BIN/collector" --listen "127.0.0.1:$PORT" --stream "$STREAM" --worker-threads 1 "${COLLECTOR_ARGS[@]}" \
  2>"$OUT/logs/collector.log" & COLLECTOR=$!; PIDS+=($COLLECTOR)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

for w in 1 2; do
  echo "== enricher worker w$w (leases in $LEASES)"
  "$BIN/enricher" run --stream "$STREAM" --leases "$LEASES" --output "$LAKE" \
    --worker-id "w$w" --flush-age-secs 2 "${ENRICHER_ARGS[@]}" >"$OUT/logs/enricher-w$w.out" 2>"$OUT/logs/enricher-w$w.log" & PIDS+=($!)
done

echo "== loadgen send: $EVENTS pixel hits and $((EVENTS / 10)) /collect events"
"$BIN/loadgen" send --target "http://127.0.0.1:$PORT" --mode pixel --events "$EVENTS" --no-progress | tail -n 8
"$BIN/loadgen" send --target "http://127.0.0.1:$PORT" --mode batch --events "$((EVENTS / 10))" --seed 7 --no-progress | tail -n 3

# Caught up when every lease's checkpoint reached its shard's last sequence number.
caught_up() {
  if [ "$MODE" = emulators ]; then
    "$VENV/bin/python" deploy/local/aws_local.py caught-up --stream clicks --table leases
    return
  fi
  python3 - "$OUT/stream/stream.db" "$OUT/leases/leases.db" <<'PY'
import json, sqlite3, sys
tip = dict(sqlite3.connect(sys.argv[1]).execute("select shard, max(first_seq + count - 1) from chunks group by shard"))
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
if [ "$MODE" = emulators ]; then
  STREAM_RECORDS=$("$VENV/bin/python" deploy/local/aws_local.py count --stream clicks)
  export STREAM_RECORDS
  "$VENV/bin/python" deploy/local/aws_local.py download --bucket lake --dest "$OUT/lake"
  stop_emulators; EMU_STARTED=0
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import duckdb" 2>/dev/null; then
  echo "== installing DuckDB (PyPI) into $VENV to query the result"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
"$VENV/bin/python" - "$OUT" <<'PY'
import glob, json, os, sqlite3, sys, duckdb
out = sys.argv[1]
stream = (int(os.environ["STREAM_RECORDS"]) if "STREAM_RECORDS" in os.environ else
          sqlite3.connect(f"{out}/stream/stream.db").execute("select coalesce(sum(count), 0) from chunks").fetchone()[0])
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

# The compactor over the days that landed: sorted, de-duplicated daily files and the tables
# (sessions, stats, events, overview_1h/1d), published per domain-day through manifests.
cargo build --quiet --release -p compactor
DAYS=$(find "$OUT/lake/incoming" -type d -name 'event_date=*' | sed 's/.*event_date=//' | sort -u)
if [ -n "$DAYS" ]; then
  echo "== compactor run --from $(head -n1 <<<"$DAYS") --to $(tail -n1 <<<"$DAYS")"
  RUST_LOG=warn "$BIN/compactor" run --input "$OUT/lake/incoming" --output "$OUT/lake/curated" \
    --from "$(head -n1 <<<"$DAYS")" --to "$(tail -n1 <<<"$DAYS")" --scratch "$OUT/scratch"
  STATS=$("$BIN/compactor" live --output "$OUT/lake/curated" --table stats --format sql)
  if [ -n "$STATS" ]; then
    "$VENV/bin/python" -c "import duckdb, sys; print(duckdb.sql(sys.argv[1]))" "
      select domain_name, event_date, sum(page_views_cnt) as pageviews, sum(visitor_cnt) as visits,
             sum(bounce_cnt) as bounces,
             round(sum(visit_duration_sec_sum) / nullif(sum(visitor_cnt), 0)) as avg_visit_sec
      from read_parquet([$STATS], hive_partitioning = true) group by all order by pageviews desc"
  fi
fi
echo "Output under $OUT/lake (incoming/ Parquet, errors/ dead letters, curated/ compacted day and tables); logs under $OUT/logs"
