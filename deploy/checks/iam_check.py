"""Least privilege, checked against the code: every AWS API call the Rust sources make is found,
attributed to the component that makes it in production, turned into IAM actions, and compared
with the policies attached to that component's task role in the CloudFormation template.
Any missing action, any extra action, any `*` action or resource, or any call the check cannot
attribute fails. Also checks the settings that must agree between code and template (drain
timings, operator-only switches, Glue columns = Arrow schema).

How calls are found: in every `<crate>/src/**/*.rs` file that names `aws_sdk_<service>`, each
`.operation(` whose name is an operation of that service (the list comes from botocore's service
model, so a newly used operation is noticed even if nobody listed it here). Each call belongs to
its enclosing `fn` in its `impl` block; helpers are followed through `self.helper(` /
`Self::helper(` calls within the file. Which capability (trait impl) each component runs is the
one hand-written table below (COMPONENTS / OPERATOR_ONLY); everything beneath it is derived.

Usage: python deploy/checks/iam_check.py [--template PATH]   (exit 1 on any finding)
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glue_schema  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy/cloudformation/clickstream.yaml"
CRATES = ["shared", "collector", "enricher", "compactor", "loadgen"]
SERVICES = {"kinesis": "kinesis", "dynamodb": "dynamodb", "s3": "s3"}

# ---- the hand-written part: which capability each component runs in production -------------
# Patterns are "<file>:<impl key>::<fn>" with fnmatch wildcards; impl keys are
# "Trait for Type" or "Type" (inherent impl) or "" (free function).
COMPONENTS = {
    "collector": {
        "role": "CollectorTaskRole",
        "uses": ["shared/src/stream/kinesis.rs:StreamWriter for KinesisStream::*"],
        # logical resource -> actions allowed on it ("*" = any the code needs)
        "resources": {"Stream": "*"},
    },
    "enricher": {
        "role": "EnricherTaskRole",
        "uses": [
            "shared/src/stream/kinesis.rs:StreamReader for KinesisStream::*",
            "shared/src/lease/dynamodb.rs:LeaseStore for DynamoLeaseStore::*",
            "shared/src/object_store/s3.rs:ObjectStore for S3Store::*",
        ],
        "resources": {"Stream": "*", "LeaseTable": "*", "CleanedBucket": "*"},
    },
    "compactor": {
        "role": "CompactorTaskRole",
        "uses": ["shared/src/object_store/s3.rs:ObjectStore for S3Store::*"],
        # reads the cleaned bucket, writes only the curated one
        "resources": {"CleanedBucket": {"s3:ListBucket", "s3:GetObject"}, "CuratedBucket": "*"},
    },
}
# Calls no task role is granted, and why. Matched before COMPONENTS.
OPERATOR_ONLY = {
    "shared/src/stream/kinesis.rs:StreamAdmin for KinesisStream::*": (
        "CloudFormation creates the stream (COLLECTOR_CREATE_STREAM_SHARDS=0); split/merge/"
        "update-shard-count are runbook commands run with the operator's credentials"
    ),
    "shared/src/lease/dynamodb.rs:LeaseStore for DynamoLeaseStore::ensure_table": (
        "CloudFormation creates the lease table; --create-lease-table is for local and emulator runs"
    ),
}

# ---- SDK operation -> IAM actions ------------------------------------------------------------
S3_ACTIONS = {
    "ListObjectsV2": {"s3:ListBucket"},
    "ListObjects": {"s3:ListBucket"},
    # Without s3:ListBucket a missing key answers 403 instead of 404, and `get` could not tell
    # "absent" (None) from "denied".
    "GetObject": {"s3:GetObject", "s3:ListBucket"},
    "HeadObject": {"s3:GetObject", "s3:ListBucket"},
    # PutObject with If-None-Match is plain s3:PutObject.
    "PutObject": {"s3:PutObject"},
    "CreateMultipartUpload": {"s3:PutObject"},
    "UploadPart": {"s3:PutObject"},
    "CompleteMultipartUpload": {"s3:PutObject"},
    "AbortMultipartUpload": {"s3:AbortMultipartUpload"},
    "ListParts": {"s3:ListMultipartUploadParts"},
    "ListMultipartUploads": {"s3:ListBucketMultipartUploads"},
    "DeleteObject": {"s3:DeleteObject"},
    "DeleteObjects": {"s3:DeleteObject"},
    "CopyObject": {"s3:GetObject", "s3:PutObject"},
    "HeadBucket": {"s3:ListBucket"},
}
S3_BUCKET_LEVEL = {"s3:ListBucket", "s3:ListBucketMultipartUploads"}


def iam_actions(service: str, op: str) -> set[str]:
    if service == "s3":
        if op not in S3_ACTIONS:
            raise KeyError(f"S3 operation {op} has no IAM mapping in {__file__}: add it")
        return set(S3_ACTIONS[op])
    return {f"{service}:{op}"}


def sdk_operations() -> dict[str, dict[str, str]]:
    """service -> {snake_case method name: OperationName}, from botocore's service models."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    out = {}
    for svc in SERVICES:
        model = session.get_service_model(svc)
        out[svc] = {xform_name(op): op for op in model.operation_names}
    return out


# ---- Rust source scanning ----------------------------------------------------------------
_TOKEN = re.compile(
    r'//[^\n]*|/\*.*?\*/|b?r(#*)".*?"\1|b?"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\\n])\'', re.S
)


def strip(text: str) -> str:
    """Comments, strings and char literals blanked (same length: offsets stay valid)."""

    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))

    return _TOKEN.sub(blank, text)


def match_brace(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced braces")


def drop_cfg_test(text: str) -> str:
    for m in reversed(list(re.finditer(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+\s*\{", text))):
        end = match_brace(text, m.end() - 1)
        text = text[: m.start()] + re.sub(r"[^\n]", " ", text[m.start() : end + 1]) + text[end + 1 :]
    return text


def _last_seg(path: str) -> str:
    path = re.sub(r"<.*>", "", path).strip()
    return path.split("::")[-1].strip()


def impl_key(header: str) -> str:
    h = re.sub(r"^impl\s*(<.*?>)?\s*", "", header.strip(), flags=re.S)
    h = re.split(r"\bwhere\b", h)[0].strip()
    if " for " in h:
        trait, typ = h.split(" for ", 1)
        return f"{_last_seg(trait)} for {_last_seg(typ)}"
    return _last_seg(h)


def functions(text: str):
    """[(impl key, fn name, body start, body end)] of every fn with a body."""
    impls = []
    for m in re.finditer(r"\bimpl\b[^;{]*\{", text):
        impls.append((m.start(), match_brace(text, m.end() - 1), impl_key(m.group(0)[:-1])))
    out = []
    for m in re.finditer(r"\bfn\s+(\w+)", text):
        i, depth = m.end(), 0
        while i < len(text):
            c = text[i]
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif depth == 0 and c in "{;":
                break
            i += 1
        if i >= len(text) or text[i] == ";":
            continue
        end = match_brace(text, i)
        key = ""
        for s, e, k in impls:
            if s < m.start() < e:
                key = k  # innermost wins (impls are in source order, nested ones come later)
        out.append((key, m.group(1), i, end))
    return out


def scan_sources(extra: dict[str, str] | None = None):
    """{(file, impl key, fn): {"ops": {(svc, Op)}, "calls": {fn names}}} for SDK-using files."""
    ops_by_svc = sdk_operations()
    files = {}
    for crate in CRATES:
        for p in sorted((ROOT / crate / "src").rglob("*.rs")):
            if p.name == "tests.rs" or p.name.endswith("_tests.rs"):
                continue
            files[str(p.relative_to(ROOT))] = p.read_text()
    files.update(extra or {})
    found = {}
    for rel, raw in files.items():
        svcs = sorted(set(re.findall(r"\baws_sdk_(kinesis|dynamodb|s3)\b", raw)))
        if not svcs:
            continue
        if len(svcs) > 1:
            raise SystemExit(f"{rel} uses several AWS SDKs ({svcs}): keep one service per file")
        svc = svcs[0]
        text = drop_cfg_test(strip(raw))
        names = ops_by_svc[svc]
        for key, name, start, end in functions(text):
            body = text[start : end + 1]
            ops = {(svc, names[c]) for c in re.findall(r"\.\s*([a-z_][a-z0-9_]*)\s*\(", body) if c in names}
            calls = set(re.findall(r"\b(?:self|Self)\s*(?:\.|::)\s*(\w+)\s*\(", body))
            calls |= set(re.findall(r"(?<![.:\w])(\w+)\s*\(", body))
            entry = found.setdefault((rel, key, name), {"ops": set(), "calls": set()})
            entry["ops"] |= ops
            entry["calls"] |= calls
    return found


def closure(found):
    """Ops of each fn including the same-file helpers it calls (inherent or free fns)."""
    by_file_name = {}
    for rel, key, name in found:
        if " for " not in key:  # helpers: inherent methods and free functions
            by_file_name.setdefault((rel, name), []).append((rel, key, name))
    memo = {}

    def ops(node, seen):
        if node in memo:
            return memo[node]
        seen = seen | {node}
        out = set(found[node]["ops"])
        for c in found[node]["calls"]:
            for target in by_file_name.get((node[0], c), []):
                if target not in seen:
                    out |= ops(target, seen)
        memo[node] = out
        return out

    return {n: ops(n, frozenset()) for n in found}


def _matches(pattern: str, node) -> bool:
    rel, key, name = node
    pfile, rest = pattern.split(":", 1)
    pkey, pfn = rest.rsplit("::", 1)
    return rel == pfile and fnmatch.fnmatchcase(key, pkey) and fnmatch.fnmatchcase(name, pfn)


def attribute(found, errors):
    """component -> {IAM action: [where]}, and the operator-only calls."""
    all_ops = closure(found)
    by_file_name = {}
    for n in found:
        if " for " not in n[1]:
            by_file_name.setdefault((n[0], n[2]), []).append(n)
    patterns = list(OPERATOR_ONLY) + [p for s in COMPONENTS.values() for p in s["uses"]]
    used = set()
    need = {c: {} for c in COMPONENTS}
    operator, helpers = {}, []
    for node, ops in sorted(all_ops.items()):
        if not ops:
            continue
        where = f"{node[0]}: {node[1] + '::' if node[1] else ''}{node[2]}"
        op_pats = [p for p in OPERATOR_ONLY if _matches(p, node)]
        if op_pats:
            used.update(op_pats)
            operator[where] = sorted(f"{s}:{o}" for s, o in ops)
            continue
        comps = []
        for c, spec in COMPONENTS.items():
            hits = [p for p in spec["uses"] if _matches(p, node)]
            used.update(hits)
            if hits:
                comps.append(c)
        for c in comps:
            for svc, op in ops:
                for a in iam_actions(svc, op):
                    need[c].setdefault(a, []).append(where)
        if comps:
            continue
        if " for " in node[1]:
            errors.append(f"unattributed AWS call(s) {sorted(o for _, o in ops)} in {where}: add its "
                          "capability to COMPONENTS or OPERATOR_ONLY in deploy/checks/iam_check.py")
        else:
            helpers.append((node, ops, where))
    # A helper (inherent method or free fn) with SDK calls must be reached from an attributed
    # trait method, whose ops already include the helper's.
    reached = _reach(found, by_file_name, patterns)
    for node, ops, where in helpers:
        if node not in reached:
            errors.append(f"unattributed AWS call(s) {sorted(o for _, o in ops)} in {where} "
                          "(not reached from any attributed trait method)")
    for p in patterns:
        if p not in used:
            errors.append(f"stale pattern (matches no AWS-calling code): {p}")
    return need, operator


def _reach(found, by_file_name, patterns):
    roots = [n for n in found if any(_matches(p, n) for p in patterns)]
    seen, stack = set(), list(roots)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for c in found[n]["calls"]:
            stack.extend(by_file_name.get((n[0], c), []))
    return seen


# ---- the template ----------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    pass


def _cfn_tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path = TEMPLATE) -> dict:
    return yaml.load(path.read_text(), Loader=_Loader)


def refs(value) -> set[str]:
    """Logical ids a policy resource expression refers to."""
    if isinstance(value, str):
        return set()
    if isinstance(value, list):
        return set().union(*(refs(v) for v in value)) if value else set()
    if "Ref" in value:
        return {value["Ref"]}
    if "Fn::GetAtt" in value:
        return {value["Fn::GetAtt"][0]}
    if "Fn::Sub" in value:
        s = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return {r.split(".")[0] for r in re.findall(r"\$\{([A-Za-z0-9.:]+)\}", s) if "::" not in r}
    return set().union(*(refs(v) for v in value.values()))


def _is_object_level(value) -> bool:
    return isinstance(value, dict) and "Fn::Sub" in value and "}/" in str(value["Fn::Sub"])


def role_statements(t: dict, role: str):
    res = t["Resources"]
    props = res[role]["Properties"]
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    for arn in props.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in res:
            docs.append(res[arn["Ref"]]["Properties"]["PolicyDocument"])
        else:
            docs.append({"Statement": [{"Effect": "Allow", "Action": f"<external policy {arn}>",
                                        "Resource": "*"}]})
    for d in docs:
        st = d["Statement"]
        yield from (st if isinstance(st, list) else [st])


def _as_list(v):
    return v if isinstance(v, list) else [v]


def check_roles(t: dict, need: dict, errors: list):
    res = t["Resources"]
    service_of = {"AWS::Kinesis::Stream": "kinesis", "AWS::DynamoDB::Table": "dynamodb",
                  "AWS::S3::Bucket": "s3"}
    for comp, spec in COMPONENTS.items():
        granted = {}
        for st in role_statements(t, spec["role"]):
            if st.get("Effect") != "Allow":
                continue
            actions = [a for a in _as_list(st.get("Action", []))]
            resources = _as_list(st.get("Resource", []))
            for a in actions:
                if "*" in a or "<external" in a:
                    errors.append(f"{comp}: wildcard or unchecked action {a!r}")
            for r in resources:
                if r == "*" or (isinstance(r, str) and "*" in r):
                    errors.append(f"{comp}: wildcard resource {r!r} for {actions}")
            if "NotAction" in st or "NotResource" in st:
                errors.append(f"{comp}: NotAction/NotResource is not least privilege")
            ids = refs(resources)
            if not ids:
                errors.append(f"{comp}: statement {st.get('Sid', actions)} names no stack resource")
            for rid in ids:
                allowed = spec["resources"].get(rid)
                if allowed is None:
                    errors.append(f"{comp}: {actions} on {rid}, which it must not touch")
                    continue
                rtype = res.get(rid, {}).get("Type")
                for a in actions:
                    if allowed != "*" and a not in allowed:
                        errors.append(f"{comp}: {a} on {rid} exceeds {sorted(allowed)}")
                    if service_of.get(rtype) != a.split(":")[0]:
                        errors.append(f"{comp}: {a} on {rid} ({rtype})")
            for a in actions:
                if a.startswith("s3:"):
                    for r in resources:
                        obj = _is_object_level(r)
                        if (a in S3_BUCKET_LEVEL) == obj:
                            kind = "bucket" if a in S3_BUCKET_LEVEL else "object"
                            errors.append(f"{comp}: {a} needs {kind} ARNs, got {r}")
                granted.setdefault(a, []).append(st.get("Sid", "?"))
        want = {a.lower(): a for a in need[comp]}
        have = {a.lower(): a for a in granted}
        for a in sorted(set(want) - set(have)):
            errors.append(f"{comp}: MISSING {want[a]} (the code calls it in "
                          f"{sorted(set(need[comp][want[a]]))})")
        for a in sorted(set(have) - set(want)):
            errors.append(f"{comp}: EXTRA {have[a]} (granted in {granted[have[a]]}, the code never calls it)")


def _env(container) -> dict:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


def _container(t, taskdef):
    return t["Resources"][taskdef]["Properties"]["ContainerDefinitions"][0]


def check_settings(t: dict, errors: list):
    res = t["Resources"]
    c = _container(t, "CollectorTaskDefinition")
    env = _env(c)
    drain, deadline = int(env["COLLECTOR_DRAIN_DELAY_SECS"]), int(env["COLLECTOR_SHUTDOWN_DEADLINE_SECS"])
    if int(c["StopTimeout"]) <= drain + deadline:
        errors.append(f"collector StopTimeout {c['StopTimeout']} must exceed drain delay {drain} + "
                      f"shutdown deadline {deadline}, or ECS kills it mid-drain")
    tg = res["CollectorTargetGroup"]["Properties"]
    if tg["HealthCheckPath"] != "/readyz":
        errors.append("the ALB must health-check /readyz (fails while draining)")
    noticed = int(tg["HealthCheckIntervalSeconds"]) * int(tg["UnhealthyThresholdCount"])
    if drain < noticed:
        errors.append(f"COLLECTOR_DRAIN_DELAY_SECS {drain} < {noticed} s the ALB needs to see /readyz fail")
    # hyper's header timeout is also its keep-alive idle timeout: if the collector closed idle
    # connections before the ALB did, the ALB could send a request on a closed one (a 502).
    attrs = {a["Key"]: a["Value"] for a in res["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]}
    alb_idle = int(attrs.get("idle_timeout.timeout_seconds", "60"))
    header = int(env.get("COLLECTOR_HEADER_TIMEOUT_SECS", "75"))
    if header == 0:
        errors.append("COLLECTOR_HEADER_TIMEOUT_SECS 0 leaves slow clients (slowloris) unbounded")
    elif header <= alb_idle:
        errors.append(f"COLLECTOR_HEADER_TIMEOUT_SECS {header} must exceed the ALB idle timeout "
                      f"{alb_idle} s, or the ALB reuses connections the collector closed (502s)")
    if env.get("COLLECTOR_CREATE_STREAM_SHARDS", "0") != "0":
        errors.append("COLLECTOR_CREATE_STREAM_SHARDS must be 0: CreateStream is operator-only")
    e = _container(t, "EnricherTaskDefinition")
    eenv = _env(e)
    if int(e["StopTimeout"]) <= int(eenv["ENRICHER_DRAIN_SECS"]):
        errors.append("enricher StopTimeout must exceed ENRICHER_DRAIN_SECS")
    if str(eenv.get("ENRICHER_CREATE_LEASE_TABLE", "false")).lower() not in ("false", "0"):
        errors.append("ENRICHER_CREATE_LEASE_TABLE must be off: CreateTable is operator-only")
    if any(s["Name"] == "ENRICHER_SALT_SECRET" for s in e.get("Environment", [])):
        errors.append("the salt secret must come from Secrets (Secrets Manager), not Environment")
    if res["EnricherScalableTarget"]["Properties"]["MaxCapacity"] != {"Ref": "ShardCount"}:
        errors.append("enricher MaxCapacity must be the shard count (one lease per shard)")
    for logical in ["IncomingEventsTable", "CompactedEventsTable"]:
        table = res[logical]["Properties"]["TableInput"]
        name = table["Name"]
        cols = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        if cols != glue_schema.enriched_columns():
            want = glue_schema.enriched_columns()
            diff = [x for x in want if x not in cols] + [x for x in cols if x not in want]
            errors.append(f"Glue {name} columns differ from shared/src/schema.rs: {diff or 'order'}")
        parts = [p["Name"] for p in table["PartitionKeys"]]
        if parts != glue_schema.partition_columns():
            errors.append(f"Glue {name} partition keys {parts} != {glue_schema.partition_columns()}")


def run(template: dict, extra_sources: dict[str, str] | None = None, verbose=False) -> list[str]:
    errors: list[str] = []
    found = scan_sources(extra_sources)
    need, operator = attribute(found, errors)
    check_roles(template, need, errors)
    check_settings(template, errors)
    if verbose:
        for comp in COMPONENTS:
            print(f"{comp}: {', '.join(sorted(need[comp]))}")
        for where, ops in operator.items():
            print(f"operator-only: {', '.join(ops)}  ({where})")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--template", type=Path, default=TEMPLATE)
    args = ap.parse_args()
    errors = run(load_template(args.template), verbose=True)
    for e in errors:
        print(f"FAIL {e}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print("IAM check: every task role grants exactly the AWS actions its code calls")


if __name__ == "__main__":
    main()
