"""Seeds a running moto server with a V2 CodePipeline `deploy-model` (argv[1]: endpoint URL)."""

import json
import sys

import boto3

kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
trust = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
role = boto3.client("iam", **kw).create_role(RoleName="codepipeline-cd", AssumeRolePolicyDocument=json.dumps(trust))
boto3.client("codepipeline", **kw).create_pipeline(
    pipeline={
        "name": "deploy-model",
        "roleArn": role["Role"]["Arn"],
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "pipelineType": "V2",
        "variables": [{"name": "model_version", "defaultValue": "0"}],
        "stages": [
            {
                "name": "Source",
                "actions": [{
                    "name": "Source",
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                    "configuration": {"S3Bucket": "src", "S3ObjectKey": "model.zip"},
                    "outputArtifacts": [{"name": "src"}],
                }],
            },
            {
                "name": "Deploy",
                "actions": [{
                    "name": "Deploy",
                    "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                    "configuration": {"ProjectName": "deploy"},
                    "inputArtifacts": [{"name": "src"}],
                }],
            },
        ],
    }
)
print("seeded")
