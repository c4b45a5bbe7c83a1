"""Seeds a running moto server with the secrets the AWS tests read (argv[1]: endpoint URL)."""

import json
import sys

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
sm = boto3.client("secretsmanager", **kw)
sm.create_secret(Name="ci/databricks", SecretString=json.dumps({"host": "ignored", "token": sys.argv[2]}))
sm.create_secret(Name="ci/plain-token", SecretString=sys.argv[2])
iam = boto3.client("iam", **kw)
iam.create_role(RoleName="codebuild-ci", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
print("seeded")
