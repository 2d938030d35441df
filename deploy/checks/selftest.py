"""Self-test of iam_check.py: the real template passes, and each mutation of the template or of
the Rust sources (a missing action, an extra one, a wildcard, a wrong bucket, a new unattributed
SDK call, a drain timing that ECS would cut short, a Glue column drift) makes it fail with the
expected message. A check that cannot fail checks nothing.

Usage: python deploy/checks/selftest.py
"""

import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import iam_check as ic  # noqa: E402

ROOT = ic.ROOT
KINESIS = "shared/src/stream/kinesis.rs"


def policy(t, name):
    return t["Resources"][name]["Properties"]["PolicyDocument"]["Statement"]


def env_set(t, taskdef, name, value):
    c = ic._container(t, taskdef)
    for e in c["Environment"]:
        if e["Name"] == name:
            e["Value"] = value
            return
    c["Environment"].append({"Name": name, "Value": value})


def drop_action(t, pol, action):
    for st in policy(t, pol):
        if action in st["Action"]:
            st["Action"] = [a for a in st["Action"] if a != action]


def add_statement(t, pol, action, resource):
    policy(t, pol).append({"Effect": "Allow", "Action": [action], "Resource": resource})


def kinesis_with(snippet_after_impl=None, append=None):
    text = (ROOT / KINESIS).read_text()
    if snippet_after_impl:
        head = "impl StreamWriter for KinesisStream {"
        assert head in text, head
        text = text.replace(head, head + "\n" + snippet_after_impl, 1)
    if append:
        text += "\n" + append
    return {KINESIS: text}


def arn(rid):
    return {"Fn::GetAtt": [rid, "Arn"]}


def objects(rid):
    return {"Fn::Sub": "${%s.Arn}/*" % rid}


# (name, template mutation, extra sources, substring expected in some error)
CASES = [
    ("collector loses PutRecords",
     lambda t: drop_action(t, "CollectorPolicy", "kinesis:PutRecords"), None,
     "collector: MISSING kinesis:PutRecords"),
    ("enricher loses ListBucket (GetObject on a missing key would be 403)",
     lambda t: drop_action(t, "EnricherPolicy", "s3:ListBucket"), None,
     "enricher: MISSING s3:ListBucket"),
    ("enricher loses AbortMultipartUpload",
     lambda t: drop_action(t, "EnricherPolicy", "s3:AbortMultipartUpload"), None,
     "enricher: MISSING s3:AbortMultipartUpload"),
    ("enricher gets CreateTable (operator-only)",
     lambda t: add_statement(t, "EnricherPolicy", "dynamodb:CreateTable", arn("LeaseTable")), None,
     "enricher: EXTRA dynamodb:CreateTable"),
    ("collector gets SplitShard",
     lambda t: add_statement(t, "CollectorPolicy", "kinesis:SplitShard", arn("Stream")), None,
     "collector: EXTRA kinesis:SplitShard"),
    ("wildcard action",
     lambda t: add_statement(t, "CompactorPolicy", "s3:*", objects("CuratedBucket")), None,
     "wildcard or unchecked action 's3:*'"),
    ("wildcard resource",
     lambda t: add_statement(t, "CollectorPolicy", "kinesis:PutRecords", "*"), None,
     "wildcard resource '*'"),
    ("compactor writes the cleaned bucket",
     lambda t: add_statement(t, "CompactorPolicy", "s3:PutObject", objects("CleanedBucket")), None,
     "compactor: s3:PutObject on CleanedBucket exceeds"),
    ("collector touches the lease table",
     lambda t: add_statement(t, "CollectorPolicy", "kinesis:PutRecords", arn("LeaseTable")), None,
     "which it must not touch"),
    ("ListBucket on object ARNs",
     lambda t: add_statement(t, "CompactorPolicy", "s3:ListBucket", objects("CuratedBucket")), None,
     "s3:ListBucket needs bucket ARNs"),
    ("an AWS-managed policy on a task role",
     lambda t: t["Resources"]["EnricherTaskRole"]["Properties"]["ManagedPolicyArns"].append(
         "arn:aws:iam::aws:policy/AmazonS3FullAccess"), None,
     "unchecked action"),
    ("new SDK call in the collector's capability",
     lambda t: None,
     kinesis_with(snippet_after_impl="    async fn extra(&self) { let _ = self.client.put_record().send().await; }"),
     "collector: MISSING kinesis:PutRecord"),
    ("new SDK call nobody attributed",
     lambda t: None,
     kinesis_with(append="impl KinesisStream { pub async fn nuke(&self) { let _ = self.client.delete_stream().send().await; } }"),
     "unattributed AWS call(s) ['DeleteStream']"),
    ("SDK call in a string or comment is not a call",
     lambda t: None,
     kinesis_with(append='// self.client.delete_stream()\nconst X: &str = "self.client.delete_stream()";'),
     None),
    ("collector stop timeout shorter than its drain",
     lambda t: ic._container(t, "CollectorTaskDefinition").__setitem__("StopTimeout", 25), None,
     "collector StopTimeout 25 must exceed"),
    ("collector drain shorter than the ALB needs to notice",
     lambda t: env_set(t, "CollectorTaskDefinition", "COLLECTOR_DRAIN_DELAY_SECS", "3"), None,
     "COLLECTOR_DRAIN_DELAY_SECS 3"),
    ("collector closes keep-alives before the ALB does",
     lambda t: env_set(t, "CollectorTaskDefinition", "COLLECTOR_HEADER_TIMEOUT_SECS", "20"), None,
     "COLLECTOR_HEADER_TIMEOUT_SECS 20 must exceed the ALB idle timeout 30"),
    ("collector header timeout off",
     lambda t: env_set(t, "CollectorTaskDefinition", "COLLECTOR_HEADER_TIMEOUT_SECS", "0"), None,
     "COLLECTOR_HEADER_TIMEOUT_SECS 0 leaves slow clients"),
    ("enricher stop timeout below its drain",
     lambda t: ic._container(t, "EnricherTaskDefinition").__setitem__("StopTimeout", 20), None,
     "enricher StopTimeout must exceed"),
    ("collector creates the stream",
     lambda t: env_set(t, "CollectorTaskDefinition", "COLLECTOR_CREATE_STREAM_SHARDS", "2"), None,
     "COLLECTOR_CREATE_STREAM_SHARDS must be 0"),
    ("salt secret in plain environment",
     lambda t: env_set(t, "EnricherTaskDefinition", "ENRICHER_SALT_SECRET", "hunter2"), None,
     "the salt secret must come from Secrets"),
    ("more enricher tasks than shards",
     lambda t: t["Resources"]["EnricherScalableTarget"]["Properties"].__setitem__("MaxCapacity", 10), None,
     "MaxCapacity must be the shard count"),
    ("Glue column dropped",
     lambda t: t["Resources"]["IncomingEventsTable"]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"].pop(), None,
     "Glue incoming_events columns differ"),
]


def main():
    base = ic.load_template()
    errors = ic.run(copy.deepcopy(base))
    failed = 0
    if errors:
        print("FAIL the unmodified template does not pass:\n  " + "\n  ".join(errors))
        failed += 1
    for name, mutate, sources, expect in CASES:
        t = copy.deepcopy(base)
        mutate(t)
        errs = ic.run(t, sources)
        if expect is None:
            ok = not errs
        else:
            ok = any(expect in e for e in errs)
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": got {errs}"))
        failed += not ok
    if failed:
        sys.exit(1)
    print(f"IAM check self-test: {len(CASES)} mutations caught, the real template passes")


if __name__ == "__main__":
    main()
