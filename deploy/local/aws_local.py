"""Helpers for `deploy/local/pipeline.sh --emulators` (boto3 from the test venv; moto brings it).
Talks to whatever AWS_ENDPOINT_URL_* point at (scripts/emulators.sh exports them).

  aws_local.py create-bucket BUCKET
  aws_local.py caught-up --stream NAME --table TABLE   exit 0 when every shard's lease checkpoint
                                                       reached the shard's last record
  aws_local.py count --stream NAME                     records in the stream
  aws_local.py download --bucket BUCKET --dest DIR     every object, keys as paths
"""

import argparse
import os
import sys
from pathlib import Path

import boto3


def client(service):
    return boto3.client(service, region_name=os.environ.get("AWS_REGION", "us-east-1"))


def shard_tips(stream):
    """{shard id: (records, last sequence number or None)}, reading every shard from the start."""
    k = client("kinesis")
    shards, token = [], None
    while True:
        page = k.list_shards(NextToken=token) if token else k.list_shards(StreamName=stream)
        shards += page["Shards"]
        token = page.get("NextToken")
        if not token:
            break
    tips = {}
    for s in shards:
        it = k.get_shard_iterator(StreamName=stream, ShardId=s["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        n, last = 0, None
        while it:
            page = k.get_records(ShardIterator=it, Limit=10000)
            n += len(page["Records"])
            if page["Records"]:
                last = page["Records"][-1]["SequenceNumber"]
            if page.get("MillisBehindLatest", 0) == 0 and not page["Records"]:
                break
            it = page.get("NextShardIterator")
        tips[s["ShardId"]] = (n, last)
    return tips


def caught_up(stream, table):
    d = client("dynamodb")
    items, start = [], None
    while True:
        kw = {"TableName": table, "ConsistentRead": True}
        if start:
            kw["ExclusiveStartKey"] = start
        page = d.scan(**kw)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    cps = {i["leaseKey"]["S"]: i.get("checkpoint", {}).get("S", "") for i in items}
    for shard, (_, last) in shard_tips(stream).items():
        if last is None:
            continue
        cp = cps.get(shard, "")
        if cp == "SHARD_END":
            continue
        if not cp.isdigit() or int(cp) < int(last):
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("create-bucket")
    b.add_argument("bucket")
    c = sub.add_parser("caught-up")
    c.add_argument("--stream", required=True)
    c.add_argument("--table", required=True)
    n = sub.add_parser("count")
    n.add_argument("--stream", required=True)
    dl = sub.add_parser("download")
    dl.add_argument("--bucket", required=True)
    dl.add_argument("--dest", required=True)
    a = ap.parse_args()
    if a.cmd == "create-bucket":
        client("s3").create_bucket(Bucket=a.bucket)
    elif a.cmd == "caught-up":
        try:
            ok = caught_up(a.stream, a.table)
        except client("dynamodb").exceptions.ResourceNotFoundException:
            ok = False  # the workers have not created the lease table yet
        sys.exit(0 if ok else 1)
    elif a.cmd == "count":
        print(sum(n for n, _ in shard_tips(a.stream).values()))
    elif a.cmd == "download":
        s3 = client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket)
        count = 0
        for page in pages:
            for obj in page.get("Contents", []):
                path = Path(a.dest) / obj["Key"]
                path.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(a.bucket, obj["Key"], str(path))
                count += 1
        print(f"downloaded {count} objects from s3://{a.bucket} to {a.dest}")


if __name__ == "__main__":
    main()
