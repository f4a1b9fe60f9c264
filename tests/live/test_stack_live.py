"""``--stack`` end to end: outputs from CloudFormation and the token from Secrets Manager (both moto),
then a full smoke run against a real TLS + AUTH redis-server."""

from __future__ import annotations

import json

import boto3
import pytest
from live_helpers import TLS_TOKEN, run_cli
from moto import mock_aws

from elasticache_smoke import testing as servers

REGION = "eu-west-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "t",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@mock_aws
def test_stack_discovery_then_tls_auth_run(
    aws_env: None, tls_server: servers.RedisServer, tls_files: servers.TlsFiles
) -> None:
    """moto has no endpoint for a cache cluster, so the (loopback) stack output endpoint is used."""
    boto3.client("elasticache", region_name=REGION).create_cache_cluster(
        CacheClusterId="sessions", Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheNodes=1
    )
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="sessions-auth", SecretString=json.dumps({"token": TLS_TOKEN})
    )["ARN"]
    outputs = {
        "SessionsEngine": "redis",
        "SessionsResourceType": "CacheCluster",
        "SessionsResourceId": "sessions",
        "SessionsEndpointAddress": "127.0.0.1",
        "SessionsEndpointPort": str(tls_server.port),
        "SessionsTls": "true",
        "SessionsClusterMode": "false",
        "SessionsAuthSecretArn": arn,
    }
    template = {
        "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="CacheStack", TemplateBody=json.dumps(template)
    )

    result = run_cli(
        "--stack",
        "CacheStack",
        "--region",
        REGION,
        "--ca-file",
        str(tls_files.ca_cert),
        "--suite",
        "server,strings,pubsub",
    )
    assert result.code == 0, result.text
    assert "(TLS, cluster mode disabled, AUTH token)" in result.out
    assert TLS_TOKEN not in result.text
    assert tls_server.client().dbsize() == 0
