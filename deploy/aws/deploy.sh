#!/usr/bin/env bash
# First deploy and upgrades in one command: build and push the image, then create or update the
# CloudFormation stack (deploy/cloudformation/clickstream.yaml) and print its outputs.
#
#   deploy/aws/deploy.sh [--stack NAME] [--region REGION] [--image URI]
#                        [--vpc VPC_ID --subnets SUBNET,SUBNET] [Param=Value ...]
#
# Without --image: builds the Dockerfile with Docker, pushes it to the ECR repository `clickstream`
# (created if missing) tagged with the git commit. Without --vpc: the account's default VPC and
# its subnets (public; tasks get public IPs to reach AWS APIs without a NAT gateway).
# Extra Param=Value pairs are template parameters (e.g. ShardCount=4 AlarmEmail=ops@example.com).
# Needs: aws CLI v2 with credentials allowed to deploy the stack; docker unless --image.
set -euo pipefail
cd "$(dirname "$0")/../.."

STACK=clickstream
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
IMAGE="" VPC="" SUBNETS=""
PARAMS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) STACK="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    --image) IMAGE="$2"; shift 2 ;;
    --vpc) VPC="$2"; shift 2 ;;
    --subnets) SUBNETS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *=*) PARAMS+=("$1"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
aws() { command aws --region "$REGION" "$@"; }

if [ -z "$VPC" ]; then
  VPC=$(aws ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId' --output text)
  [ "$VPC" != None ] || { echo "no default VPC in $REGION: pass --vpc and --subnets" >&2; exit 1; }
fi
if [ -z "$SUBNETS" ]; then
  SUBNETS=$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC" --query 'Subnets[].SubnetId' --output text | tr '\t' ',')
fi

if [ -z "$IMAGE" ]; then
  ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
  REGISTRY="$ACCOUNT.dkr.ecr.$REGION.amazonaws.com"
  aws ecr describe-repositories --repository-names clickstream >/dev/null 2>&1 \
    || aws ecr create-repository --repository-name clickstream \
         --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE >/dev/null
  TAG=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo "-dirty-$(date +%s)")
  IMAGE="$REGISTRY/clickstream:$TAG"
  echo "== building $IMAGE (release build inside: scripts/build-release.sh)"
  docker build --platform linux/amd64 -t "$IMAGE" .
  aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"
  docker push "$IMAGE"
fi

echo "== deploying stack $STACK in $REGION (image $IMAGE)"
aws cloudformation deploy \
  --stack-name "$STACK" \
  --template-file deploy/cloudformation/clickstream.yaml \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides ImageUri="$IMAGE" VpcId="$VPC" \
      LoadBalancerSubnetIds="$SUBNETS" TaskSubnetIds="$SUBNETS" ${PARAMS[@]+"${PARAMS[@]}"}

aws cloudformation describe-stacks --stack-name "$STACK" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
URL=$(aws cloudformation describe-stacks --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='CollectorUrl'].OutputValue" --output text)
echo "== waiting for the collector behind $URL"
for _ in $(seq 60); do
  if curl -sf "$URL/readyz" >/dev/null; then echo "collector ready: $URL/hello.gif"; exit 0; fi
  sleep 5
done
echo "the collector did not become ready within 5 min: see docs/operations.md (first deploy)" >&2
exit 1
