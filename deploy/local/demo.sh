#!/usr/bin/env bash
# The whole pipeline on one machine, embedded default (no AWS, no emulator):
# synthesize realistic CloudFront log lines -> enrich into Hive-partitioned Parquet -> query it.
# Usage: deploy/local/demo.sh [OUTPUT_DIR]   (DEMO_EVENTS=N to change the volume)
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT="${1:-out/demo}"
EVENTS="${DEMO_EVENTS:-200000}"
CACHE="${CLICKSTREAM_CACHE:-$HOME/.cache/clickstream}"
VENV="$CACHE/venv"

echo "== building (first run compiles dependencies: a few minutes)"
cargo build --quiet --release -p loadgen -p enricher
BIN="${CARGO_TARGET_DIR:-target}/release"

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== loadgen synth: $EVENTS CloudFront real-time log lines"
"$BIN/loadgen" synth --events "$EVENTS" --seed 42 --format cloudfront --output "$OUT/cloudfront.log"
echo "== loadgen synth: 20000 collector envelopes (pixel + /collect)"
"$BIN/loadgen" synth --events 20000 --seed 7 --format envelope --output "$OUT/envelopes.rec"

echo "== enricher enrich-file"
"$BIN/enricher" enrich-file --input "$OUT/cloudfront.log" --output "$OUT/lake"
"$BIN/enricher" enrich-file --input "$OUT/envelopes.rec" --output "$OUT/lake"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import duckdb" 2>/dev/null; then
  echo "== installing DuckDB (PyPI) into $VENV to query the result"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
echo "== the enriched table, queried with DuckDB"
"$VENV/bin/python" - "$OUT/lake/incoming" <<'PY'
import sys, duckdb
src = f"read_parquet('{sys.argv[1]}/**/*.parquet', hive_partitioning = true)"
print(duckdb.sql(f"""
  select domain_name, event_type, count(*) as hits, count(distinct daily_visitor_id) as visitors,
         round(avg(request_is_bot) * 100, 1) as bot_pct
  from {src} group by all order by hits desc limit 12"""))
print(duckdb.sql(f"""
  select browser_name, browser_os_name, device_type, count(*) as hits
  from {src} where event_type = 'pageview' group by all order by hits desc limit 8"""))
PY
echo "Parquet files: $(find "$OUT/lake/incoming" -name '*.parquet' | wc -l) under $OUT/lake/incoming"
