"""The enriched table's columns in Glue/Hive types, read from the one Arrow schema
(shared/src/schema.rs: build_file_fields + product_fields), so the Glue table in the template
cannot drift from what the enricher writes."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCALAR = {
    "Utf8": "string",
    "Int32": "int",
    "Int64": "bigint",
    "Float64": "double",
    "ts()": "timestamp",
    "DataType::Utf8": "string",
    "DataType::Int32": "int",
    "DataType::Int64": "bigint",
    "DataType::Float64": "double",
}


def _body(text, fn):
    start = text.index(f"fn {fn}(")
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i : j + 1]
    raise ValueError(f"unbalanced body of {fn}")


def _fields(body):
    out = []
    for m in re.finditer(r'(?:Field::new\("(\w+)",\s*([^,]+(?:\([^)]*\))?),|\bs\("(\w+)"\))', body):
        if m.group(3):
            out.append((m.group(3), "Utf8"))
        else:
            out.append((m.group(1), m.group(2).strip()))
    return out


def enriched_columns():
    """[(name, glue type)] in file order, partition columns excluded."""
    text = (ROOT / "shared/src/schema.rs").read_text()
    product = _fields(_body(text, "product_fields"))
    struct = "struct<" + ",".join(f"{n}:{_SCALAR[t]}" for n, t in product) + ">"
    cols = []
    for name, typ in _fields(_body(text, "build_file_fields")):
        if typ.startswith("DataType::List("):
            cols.append((name, f"array<{struct}>"))
        else:
            cols.append((name, _SCALAR[typ]))
    return cols


def partition_columns():
    text = (ROOT / "shared/src/schema.rs").read_text()
    m = re.search(r"PARTITION_COLUMNS: \[&str; \d+\] = \[([^\]]*)\]", text)
    return re.findall(r'"(\w+)"', m.group(1))


if __name__ == "__main__":
    for n, t in enriched_columns():
        print(f"            - {{Name: {n}, Type: '{t}'}}")
    print(partition_columns())
