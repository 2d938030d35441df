"""Smoke "deploy" of the stack into moto's CloudFormation (in-process, offline): the template's
references resolve into real resources, and the names the services are given point at the
resources the policies grant. moto models only part of CloudFormation: alarms, autoscaling,
Glue, Secrets Manager, bucket policies and SNS topic policies are skipped by it (it says so), and
stream encryption, PITR, public access blocks and lifecycle rules are not applied — cfn-lint and
iam_check.py cover the template text for those.

Usage: python deploy/checks/smoke_moto.py
"""

import logging
import sys
import warnings
from pathlib import Path

import boto3
from moto import mock_aws

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy/cloudformation/clickstream.yaml"
REGION = "us-east-1"


def main():
    warnings.filterwarnings("ignore", message="Tried to parse")
    logging.getLogger("moto").setLevel(logging.ERROR)  # "No Moto CloudFormation support for …"
    errors = []

    def check(cond, what):
        print(f"{'ok  ' if cond else 'FAIL'} {what}")
        if not cond:
            errors.append(what)

    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
        cf = boto3.client("cloudformation", region_name=REGION)
        params = {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/clickstream:smoke",
                  "VpcId": vpc, "LoadBalancerSubnetIds": ",".join(subnets),
                  "TaskSubnetIds": ",".join(subnets), "ShardCount": "3"}
        cf.create_stack(StackName="smoke", TemplateBody=TEMPLATE.read_text(),
                        Capabilities=["CAPABILITY_IAM"],
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        stack = cf.describe_stacks(StackName="smoke")["Stacks"][0]
        check(stack["StackStatus"] == "CREATE_COMPLETE", f"stack {stack['StackStatus']}")
        out = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        for key in ["CollectorUrl", "StreamName", "LeaseTableName", "CleanedBucketName",
                    "CuratedBucketName", "ClusterName", "CollectorPolicyArn", "EnricherPolicyArn",
                    "CompactorPolicyArn", "CompactorTaskDefinitionArn"]:
            check(key in out, f"output {key}")

        kin = boto3.client("kinesis", region_name=REGION)
        summary = kin.describe_stream_summary(StreamName=out["StreamName"])["StreamDescriptionSummary"]
        check(summary["OpenShardCount"] == 3, "stream has ShardCount open shards")
        stream_arn = summary["StreamARN"]
        table = boto3.client("dynamodb", region_name=REGION).describe_table(
            TableName=out["LeaseTableName"])["Table"]
        check(table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", "lease table on demand")
        check(table["KeySchema"] == [{"AttributeName": "leaseKey", "KeyType": "HASH"}],
              "lease table keyed by leaseKey (KCL)")
        buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
        check({out["CleanedBucketName"], out["CuratedBucketName"]} <= buckets, "buckets exist")

        iam = boto3.client("iam")

        def doc(arn):
            pol = iam.get_policy(PolicyArn=arn)["Policy"]
            return iam.get_policy_version(PolicyArn=arn, VersionId=pol["DefaultVersionId"])[
                "PolicyVersion"]["Document"]

        def resources(d):
            out_ = []
            for st in d["Statement"]:
                r = st["Resource"]
                out_ += r if isinstance(r, list) else [r]
            return out_

        cleaned = f"arn:aws:s3:::{out['CleanedBucketName']}"
        curated = f"arn:aws:s3:::{out['CuratedBucketName']}"
        col = resources(doc(out["CollectorPolicyArn"]))
        check(col == [stream_arn], f"collector policy names exactly the stream ({col})")
        enr = resources(doc(out["EnricherPolicyArn"]))
        check(set(enr) == {stream_arn, table["TableArn"], cleaned, cleaned + "/*"},
              f"enricher policy: stream, lease table, cleaned bucket ({enr})")
        com = resources(doc(out["CompactorPolicyArn"]))
        check(set(com) == {cleaned, curated, cleaned + "/*", curated + "/*"},
              f"compactor policy: the two buckets ({com})")
        check(all("${" not in r and "*" != r for r in col + enr + com), "every resource resolved, no bare *")

        ecs = boto3.client("ecs", region_name=REGION)

        def env(family):
            td = ecs.describe_task_definition(taskDefinition=f"smoke-{family}")["taskDefinition"]
            c = td["containerDefinitions"][0]
            return {e["name"]: e["value"] for e in c.get("environment", [])}, c

        cenv, _ = env("collector")
        check(cenv.get("COLLECTOR_STREAM") == f"kinesis://{out['StreamName']}", "collector writes the stack's stream")
        eenv, econ = env("enricher")
        check(eenv.get("ENRICHER_STREAM") == f"kinesis://{out['StreamName']}", "enricher reads the stack's stream")
        check(eenv.get("ENRICHER_LEASES") == f"dynamodb://{out['LeaseTableName']}", "enricher uses the stack's lease table")
        check(eenv.get("ENRICHER_OUTPUT") == f"s3://{out['CleanedBucketName']}", "enricher writes the cleaned bucket")
        check("ENRICHER_SALT_SECRET" not in eenv, "no salt secret in the environment")
        kenv, _ = env("compactor")
        check(kenv.get("COMPACTOR_INPUT") == f"s3://{out['CleanedBucketName']}/incoming", "compactor reads incoming/")
        check(kenv.get("COMPACTOR_OUTPUT") == f"s3://{out['CuratedBucketName']}", "compactor writes the curated bucket")

        rules = {r["Name"]: r for r in boto3.client("events", region_name=REGION).list_rules()["Rules"]}
        schedules = sorted(r.get("ScheduleExpression", "") for r in rules.values() if r.get("ScheduleExpression"))
        check(schedules == ["cron(20 0 * * ? *)", "cron(35 * * * ? *)", "cron(5 * * * ? *)"],
              f"compactor and vacuum schedules {schedules}")

    if errors:
        sys.exit(1)
    print("moto smoke deploy: the stack's resources resolve and agree with its policies")


if __name__ == "__main__":
    main()
