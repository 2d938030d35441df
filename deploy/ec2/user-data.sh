#!/bin/bash
# Example EC2 user-data (Amazon Linux 2023, x86_64 or arm64 matching the build) for a clickstream
# host. Fill in the variables from the stack outputs
# (aws cloudformation describe-stacks --stack-name clickstream --query 'Stacks[0].Outputs').
#
# The instance role needs the stack's managed policy of each component this host runs
# (outputs CollectorPolicyArn / EnricherPolicyArn / CompactorPolicyArn), read access to
# ARTIFACT, and for the enricher secretsmanager:GetSecretValue on SALT_SECRET_ID.
#
# ARTIFACT is a tarball made on a build machine with the CI build:
#   scripts/build-release.sh dist/clickstream/bin && cp -r deploy/ec2 docs dist/clickstream/ \
#     && tar -C dist -czf clickstream-$(git rev-parse --short HEAD).tar.gz clickstream
set -euo pipefail

COMPONENTS="collector enricher"                 # any of: collector enricher compactor
ARTIFACT="s3://REPLACE-artifacts/clickstream-abc1234.tar.gz"
REGION="us-east-1"
STREAM="clickstream-clicks"                     # output StreamName
LEASE_TABLE="clickstream-leases"                # output LeaseTableName
CLEANED_BUCKET="REPLACE-cleaned"                # output CleanedBucketName
CURATED_BUCKET="REPLACE-curated"                # output CuratedBucketName
SALT_SECRET_ID="clickstream/salt-secret"        # output SaltSecretArn

id clickstream >/dev/null 2>&1 || useradd --system --home-dir /var/lib/clickstream --create-home --shell /sbin/nologin clickstream
mkdir -p /opt /etc/clickstream
aws s3 cp --region "$REGION" "$ARTIFACT" /tmp/clickstream.tar.gz
rm -rf /opt/clickstream && tar -C /opt -xzf /tmp/clickstream.tar.gz
chmod 0755 /opt/clickstream/bin/*

# Env files from the templates in the artifact, with this stack's names filled in.
for c in collector enricher compactor; do
  sed -e "s|^AWS_REGION=.*|AWS_REGION=$REGION|" \
      -e "s|kinesis://clickstream-clicks|kinesis://$STREAM|" \
      -e "s|dynamodb://clickstream-leases|dynamodb://$LEASE_TABLE|" \
      -e "s|REPLACE-WITH-CleanedBucketName|$CLEANED_BUCKET|" \
      -e "s|REPLACE-WITH-CuratedBucketName|$CURATED_BUCKET|" \
      -e "s|^SALT_SECRET_ID=.*|SALT_SECRET_ID=$SALT_SECRET_ID|" \
      "/opt/clickstream/ec2/$c.env" > "/etc/clickstream/$c.env"
  chmod 0640 "/etc/clickstream/$c.env"; chgrp clickstream "/etc/clickstream/$c.env"
done

cp /opt/clickstream/ec2/*.service /opt/clickstream/ec2/*.timer /etc/systemd/system/
systemctl daemon-reload
for c in $COMPONENTS; do
  case "$c" in
    collector) systemctl enable --now collector.service ;;
    enricher) systemctl enable --now enricher.service enricher-vacuum.timer ;;
    compactor) systemctl enable --now compactor-daily.timer compactor-hourly.timer ;;
  esac
done
