"""Independent check of enriched Parquet output with pyarrow (and DuckDB).

Usage: check_enriched.py OUTPUT_DIR EXPECTED_JSON
Reads OUTPUT_DIR/incoming as a Hive-partitioned dataset and asserts the schema, the partition
values (decoded from the escaped paths) and the field values listed in EXPECTED_JSON:
{"rows": N, "schema": [[name, type], ...], "checks": [{"where": {...}, "equals": {...}}, ...]}.
"""
import json
import math
import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq

out_dir, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))
root = f"{out_dir}/incoming"

dataset = ds.dataset(root, format="parquet", partitioning="hive")
table = dataset.to_table()
failures = []

if table.num_rows != expected["rows"]:
    failures.append(f"rows: {table.num_rows} != {expected['rows']}")

file_schema = pq.read_schema(dataset.files[0])
got_schema = [[f.name, str(f.type)] for f in file_schema]
if got_schema != expected["schema"]:
    failures.append("schema differs:\n got " + json.dumps(got_schema) + "\nwant " + json.dumps(expected["schema"]))
for name in ("domain_name", "event_type", "event_date"):
    if name in file_schema.names:
        failures.append(f"partition column {name} must not be inside the file")
    if name not in table.column_names:
        failures.append(f"partition column {name} missing from the dataset")

rows = table.to_pylist()


def norm(v):
    if hasattr(v, "isoformat"):
        return v.isoformat().replace("+00:00", "Z")
    return v


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-12)
    return a == b


for check in expected["checks"]:
    match = [r for r in rows if all(str(r.get(k)) == str(v) for k, v in check["where"].items())]
    if len(match) != 1:
        failures.append(f"{check['where']}: {len(match)} matching rows, want 1")
        continue
    row = match[0]
    for k, want in check["equals"].items():
        got = norm(row.get(k))
        if not same(got, want):
            failures.append(f"{check['where']}: {k} = {got!r}, want {want!r}")

# The same data through DuckDB's reader, as the README shows it.
try:
    import duckdb

    n = duckdb.sql(
        f"select count(*) from read_parquet('{root}/**/*.parquet', hive_partitioning = true)"
    ).fetchall()[0][0]
    if n != expected["rows"]:
        failures.append(f"duckdb rows: {n} != {expected['rows']}")
except ImportError:
    failures.append("duckdb is not installed (scripts/test.sh installs it)")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"ok: {table.num_rows} rows, {len(expected['checks'])} row checks")
