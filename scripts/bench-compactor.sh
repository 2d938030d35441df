#!/usr/bin/env bash
# Compactor vs DuckDB on one synthetic day: `loadgen synth` + `enricher enrich-file` make the
# input once (cached in $BENCH_DIR); then, alternating, `compactor run` (compaction + all tables
# in one process) and DuckDB from the test venv doing a sorted zstd rewrite and ownstats-style
# sessions + stats (scripts/bench_compactor_duckdb.py), each under /usr/bin/time -v.
# Prints every run and the medians. Usage: scripts/bench-compactor.sh [runs=3] [events=5000000]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
EVENTS="${2:-5000000}"
DAY=2026-11-20
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clickstream/target}"
BENCH_DIR="${BENCH_DIR:-$HOME/.cache/clickstream/bench-compactor-$EVENTS}"
PY="${CLICKSTREAM_PYTHON:-$HOME/.cache/clickstream/venv/bin/python}"
"$PY" -c 'import duckdb' || { echo "needs the test venv with duckdb (run scripts/test.sh once)" >&2; exit 1; }
[ -x /usr/bin/time ] || apt-get install -y -q time >/dev/null
cargo build --release -q -p compactor -p loadgen -p enricher
BIN="$CARGO_TARGET_DIR/release"

LAKE="$BENCH_DIR/lake"
if [ ! -d "$LAKE/incoming" ]; then
  mkdir -p "$BENCH_DIR"
  echo "== input: $EVENTS events (loadgen synth envelopes → enricher enrich-file)"
  "$BIN/loadgen" synth --events "$EVENTS" --seed 42 --format envelope --date "$DAY" --output "$BENCH_DIR/day.rec"
  "$BIN/enricher" enrich-file --input "$BENCH_DIR/day.rec" --output "$LAKE.tmp" --source-id bench
  rm -f "$BENCH_DIR/day.rec"
  mv "$LAKE.tmp" "$LAKE"
fi
files=$(find "$LAKE/incoming" -name '*.parquet' -path "*event_date=$DAY*" | wc -l)
bytes=$(find "$LAKE/incoming" -name '*.parquet' -path "*event_date=$DAY*" -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "== input: $files files, $((bytes / 1024 / 1024)) MiB for $DAY"

OUT="$BENCH_DIR/out"
measure() { # label, command… → "label seconds maxrss_kb"
  local label=$1; shift
  rm -rf "$OUT"; mkdir -p "$OUT"
  sync
  /usr/bin/time -v "$@" >"$BENCH_DIR/$label.log" 2>&1 || { cat "$BENCH_DIR/$label.log" >&2; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$BENCH_DIR/$label.log" | awk '{print $NF}' \
    | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(grep 'Maximum resident set size' "$BENCH_DIR/$label.log" | awk '{print $NF}')
  echo "$label $wall $rss"
}

RESULTS="$BENCH_DIR/results.txt"; : >"$RESULTS"
for i in $(seq "$RUNS"); do
  measure compactor "$BIN/compactor" run --input "$LAKE/incoming" --output "$OUT" --date "$DAY" \
    --scratch "$BENCH_DIR/scratch" | tee -a "$RESULTS"
  grep -E '^compactor: units' "$BENCH_DIR/compactor.log" || true
  measure duckdb_compact "$PY" scripts/bench_compactor_duckdb.py compact "$LAKE" "$DAY" "$OUT" | tee -a "$RESULTS"
  measure duckdb_stats "$PY" scripts/bench_compactor_duckdb.py stats "$LAKE" "$DAY" "$OUT" | tee -a "$RESULTS"
done
rm -rf "$OUT" "$BENCH_DIR/scratch"

echo "== medians of $RUNS runs (seconds, peak RSS MiB)"
"$PY" - "$RESULTS" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, wall, rss = line.split()
    rows.setdefault(label, []).append((float(wall), int(rss)))
med = {k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v) / 1024) for k, v in rows.items()}
for k, (w, r) in med.items():
    print(f"{k:16} {w:7.2f} s  {r:7.0f} MiB")
duck = med["duckdb_compact"][0] + med["duckdb_stats"][0]
duck_rss = max(med["duckdb_compact"][1], med["duckdb_stats"][1])
c, c_rss = med["compactor"]
print(f"duckdb total     {duck:7.2f} s  {duck_rss:7.0f} MiB (peak of the two)")
print(f"compactor / duckdb time {c / duck:.2f}x, peak RSS {c_rss:.0f} MiB vs {duck_rss:.0f} MiB")
PYEOF
