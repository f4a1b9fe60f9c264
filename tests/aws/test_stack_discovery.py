"""``--stack NAME --region R`` discovery with boto3.

moto (``mock_aws``) serves everything it implements: CloudFormation ``DescribeStacks``, Secrets Manager
``GetSecretValue``, ElastiCache ``CreateReplicationGroup``/``DescribeReplicationGroups`` and
``DescribeCacheClusters``. botocore ``Stubber`` is used only where moto 5.2.5 cannot help: it has no
``DescribeServerlessCaches``, it omits ``ConfigurationEndpoint``/``CacheNodes`` from
``DescribeCacheClusters``, and it cannot return ``AccessDenied`` — each such test says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from elasticache_smoke import DiscoveryError, target_from_stack
from elasticache_smoke.cli import main

REGION = "eu-west-1"


def contract(prefix: str = "Sessions", **overrides: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {
        "Engine": "redis",
        "ResourceType": "ReplicationGroup",
        "ResourceId": "sessions-rg",
        "EndpointAddress": "stale.example.com",
        "EndpointPort": "6379",
        "Tls": "true",
        "ClusterMode": "false",
        "AuthSecretArn": "none",
    }
    values.update(overrides)
    return {f"{prefix}{k}": v for k, v in values.items() if v is not None}


def deploy_stack(name: str, outputs: dict[str, str]) -> None:
    """Create a moto CloudFormation stack whose outputs are ``outputs``."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=name, TemplateBody=json.dumps(template))


def create_group(group_id: str, *, cluster: bool, tls: bool = True) -> dict[str, Any]:
    client = boto3.client("elasticache", region_name=REGION)
    kwargs: dict[str, Any] = {
        "ReplicationGroupId": group_id,
        "ReplicationGroupDescription": "smoke test",
        "Engine": "redis",
        "CacheNodeType": "cache.t4g.micro",
        "TransitEncryptionEnabled": tls,
    }
    if cluster:
        kwargs.update(NumNodeGroups=3, ReplicasPerNodeGroup=1, ClusterMode="enabled")
    else:
        kwargs.update(NumCacheClusters=2)
    client.create_replication_group(**kwargs)
    group: dict[str, Any] = client.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
    return group


@mock_aws
def test_replication_group_primary_endpoint_and_secret_token() -> None:
    group = create_group("sessions-rg", cluster=False)
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="sessions-auth", SecretString=json.dumps({"token": "from-secrets-manager"})
    )["ARN"]
    deploy_stack("CacheStack", contract(AuthSecretArn=arn))
    target = target_from_stack("CacheStack", REGION)
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    assert (target.host, target.port) == (primary["Address"], primary["Port"])
    assert (target.tls, target.cluster, target.password) == (True, False, "from-secrets-manager")
    assert f"stack output endpoint stale.example.com:6379 differs from live {primary['Address']}:6379" in target.notes
    assert target.source == f"--stack CacheStack --region {REGION} cache Sessions"


@mock_aws
def test_cluster_mode_group_uses_configuration_endpoint() -> None:
    group = create_group("leaderboard-rg", cluster=True)
    deploy_stack("Games", contract("Leaderboard", ResourceId="leaderboard-rg", ClusterMode="true"))
    target = target_from_stack("Games", REGION)
    assert (target.host, target.port) == (
        group["ConfigurationEndpoint"]["Address"],
        group["ConfigurationEndpoint"]["Port"],
    )
    assert target.cluster is True and target.password is None


@mock_aws
def test_live_resource_wins_over_contradicting_outputs() -> None:
    create_group("sessions-rg", cluster=True, tls=False)
    deploy_stack("S", contract(ClusterMode="false", Tls="true"))
    target = target_from_stack("S", REGION)
    assert (target.cluster, target.tls) == (True, False)
    assert "output SessionsClusterMode=false but the live resource says True" in target.notes
    assert "output SessionsTls=true but the live resource says False" in target.notes


@mock_aws
def test_missing_stack() -> None:
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_stack("NoSuchStack", REGION)
    assert str(excinfo.value) == (
        "--stack 'NoSuchStack': stack not found in region eu-west-1 "
        "(cloudformation:DescribeStacks: Stack with id NoSuchStack does not exist)"
    )


@mock_aws
def test_missing_output() -> None:
    deploy_stack("S", contract(EndpointPort=None))
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_stack("S", REGION)
    assert "stack 'S' is missing output(s) SessionsEndpointPort for cache 'Sessions'" in str(excinfo.value)


@mock_aws
def test_stack_without_cache_outputs() -> None:
    deploy_stack("Other", {"BucketName": "b"})
    with pytest.raises(DiscoveryError, match="stack 'Other' has no cache outputs"):
        target_from_stack("Other", REGION)


@mock_aws
def test_missing_replication_group() -> None:
    deploy_stack("S", contract(ResourceId="deleted-rg"))
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_stack("S", REGION)
    assert str(excinfo.value).startswith(
        "elasticache:DescribeReplicationGroups failed for replication group deleted-rg: ReplicationGroupNotFoundFault"
    )


@mock_aws
def test_missing_secret() -> None:
    create_group("sessions-rg", cluster=False)
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:deleted-AbCdEf"
    deploy_stack("S", contract(AuthSecretArn=arn))
    with pytest.raises(DiscoveryError, match=r"secretsmanager:GetSecretValue failed .* ResourceNotFoundException"):
        target_from_stack("S", REGION)


@mock_aws
def test_cache_cluster_without_endpoint_in_moto_falls_back_to_outputs() -> None:
    """moto's DescribeCacheClusters has no CacheNodes/ConfigurationEndpoint: the stack output is used."""
    boto3.client("elasticache", region_name=REGION).create_cache_cluster(
        CacheClusterId="single", Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheNodes=1
    )
    deploy_stack(
        "S", contract(ResourceType="CacheCluster", ResourceId="single", EndpointAddress="10.0.0.5", Tls="false")
    )
    target = target_from_stack("S", REGION)
    assert (target.host, target.port, target.tls) == ("10.0.0.5", 6379, False)
    assert (
        "elasticache:DescribeCacheClusters returned no endpoint for single; using the stack output 10.0.0.5:6379"
        in (target.notes)
    )


@mock_aws
def test_cli_stack_path_reaches_the_connection_stage() -> None:
    """End to end through the CLI: moto discovery, then a refused TCP connection -> exit 2, stage TCP."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from elasticache_smoke.testing import free_port

    boto3.client("elasticache", region_name=REGION).create_cache_cluster(
        CacheClusterId="single", Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheNodes=1
    )
    port = free_port()
    deploy_stack(
        "S",
        contract(
            ResourceType="CacheCluster",
            ResourceId="single",
            EndpointAddress="127.0.0.1",
            EndpointPort=str(port),
            Tls="false",
        ),
    )
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--stack", "S", "--region", REGION])
    assert code == 2
    assert f"error: connection failed at stage TCP: cannot connect to 127.0.0.1:{port}" in err.getvalue()
    assert f"source:    --stack S --region {REGION} cache Sessions" in out.getvalue()


# --------------------------------------------------------------------------- Stubber (moto cannot)


def stubbed_factory(stubs: dict[str, Any]) -> Callable[[str, str | None], Any]:
    """Return stubbed clients for the services in ``stubs``, moto-backed clients for the rest."""

    def factory(service: str, region: str | None) -> Any:
        return stubs[service] if service in stubs else boto3.client(service, region_name=region)

    return factory


def test_access_denied_on_describe_stacks() -> None:
    """Stubber: moto does not enforce IAM, so it cannot produce AccessDenied."""
    client = boto3.client("cloudformation", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_stacks",
            service_error_code="AccessDenied",
            service_message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudformation:DescribeStacks",
            http_status_code=403,
            expected_params={"StackName": "CacheStack"},
        )
        with pytest.raises(DiscoveryError) as excinfo:
            target_from_stack("CacheStack", REGION, factory=stubbed_factory({"cloudformation": client}))
    assert str(excinfo.value).startswith(
        "access denied calling cloudformation:DescribeStacks for stack CacheStack: the caller needs permission "
        "cloudformation:DescribeStacks (AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized"
    )


@mock_aws
def test_access_denied_on_get_secret_value() -> None:
    """Stubber for Secrets Manager's AccessDeniedException (moto does not enforce IAM); the stack is moto's."""
    create_group("sessions-rg", cluster=False)
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:sessions-auth-AbCdEf"
    deploy_stack("S", contract(AuthSecretArn=arn))
    secrets = boto3.client("secretsmanager", region_name=REGION)
    with Stubber(secrets) as stub:
        stub.add_client_error("get_secret_value", service_error_code="AccessDeniedException", http_status_code=400)
        with pytest.raises(DiscoveryError) as excinfo:
            target_from_stack("S", REGION, factory=stubbed_factory({"secretsmanager": secrets}))
    assert str(excinfo.value).startswith(
        f"access denied calling secretsmanager:GetSecretValue for secret {arn}: the caller needs permission "
        "secretsmanager:GetSecretValue (AccessDeniedException"
    )


@mock_aws
def test_access_denied_on_describe_replication_groups() -> None:
    """Stubber for ElastiCache AccessDenied (moto does not enforce IAM); the stack is moto's."""
    deploy_stack("S", contract())
    elasticache = boto3.client("elasticache", region_name=REGION)
    with Stubber(elasticache) as stub:
        stub.add_client_error("describe_replication_groups", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(DiscoveryError, match="access denied calling elasticache:DescribeReplicationGroups"):
            target_from_stack("S", REGION, factory=stubbed_factory({"elasticache": elasticache}))


@mock_aws
def test_serverless_cache_endpoint() -> None:
    """Stubber: moto 5.2.5 does not implement DescribeServerlessCaches. The stack outputs come from moto."""
    deploy_stack(
        "S", contract(ResourceType="ServerlessCache", ResourceId="sessions-sl", ClusterMode="true", Engine="valkey")
    )
    elasticache = boto3.client("elasticache", region_name=REGION)
    with Stubber(elasticache) as stub:
        stub.add_response(
            "describe_serverless_caches",
            {
                "ServerlessCaches": [
                    {
                        "ServerlessCacheName": "sessions-sl",
                        "Status": "available",
                        "Engine": "valkey",
                        "Endpoint": {"Address": "sessions-sl-abc.serverless.euw1.cache.amazonaws.com", "Port": 6379},
                        "ReaderEndpoint": {
                            "Address": "sessions-sl-abc.serverless.euw1.cache.amazonaws.com",
                            "Port": 6380,
                        },
                    }
                ]
            },
            expected_params={"ServerlessCacheName": "sessions-sl"},
        )
        target = target_from_stack("S", REGION, factory=stubbed_factory({"elasticache": elasticache}))
    assert (target.host, target.port, target.tls, target.cluster) == (
        "sessions-sl-abc.serverless.euw1.cache.amazonaws.com",
        6379,
        True,
        True,
    )
    assert target.reader_port == 6380


@mock_aws
def test_serverless_cache_not_found() -> None:
    """Stubber: moto 5.2.5 does not implement DescribeServerlessCaches."""
    deploy_stack("S", contract(ResourceType="ServerlessCache", ResourceId="gone", ClusterMode="true"))
    elasticache = boto3.client("elasticache", region_name=REGION)
    with Stubber(elasticache) as stub:
        stub.add_client_error(
            "describe_serverless_caches", service_error_code="ServerlessCacheNotFoundFault", http_status_code=404
        )
        with pytest.raises(
            DiscoveryError,
            match=r"DescribeServerlessCaches failed for serverless cache gone: ServerlessCacheNotFoundFault",
        ):
            target_from_stack("S", REGION, factory=stubbed_factory({"elasticache": elasticache}))


@mock_aws
def test_memcached_configuration_endpoint_and_nodes() -> None:
    """Stubber: moto's DescribeCacheClusters omits ConfigurationEndpoint and CacheNodes."""
    deploy_stack(
        "S",
        contract(
            "Fragments",
            Engine="memcached",
            ResourceType="CacheCluster",
            ResourceId="frag",
            EndpointPort="11211",
            Tls="false",
        ),
    )
    elasticache = boto3.client("elasticache", region_name=REGION)
    nodes = [
        {"CacheNodeId": f"000{i}", "Endpoint": {"Address": f"frag.abc.000{i}.euw1.cache.amazonaws.com", "Port": 11211}}
        for i in (1, 2)
    ]
    with Stubber(elasticache) as stub:
        stub.add_response(
            "describe_cache_clusters",
            {
                "CacheClusters": [
                    {
                        "CacheClusterId": "frag",
                        "Engine": "memcached",
                        "CacheClusterStatus": "modifying",
                        "ConfigurationEndpoint": {"Address": "frag.abc.cfg.euw1.cache.amazonaws.com", "Port": 11211},
                        "CacheNodes": nodes,
                        "TransitEncryptionEnabled": False,
                    }
                ]
            },
            expected_params={"CacheClusterId": "frag", "ShowCacheNodeInfo": True},
        )
        target = target_from_stack("S", REGION, factory=stubbed_factory({"elasticache": elasticache}))
    assert (target.engine, target.host, target.port, target.cluster) == (
        "memcached",
        "frag.abc.cfg.euw1.cache.amazonaws.com",
        11211,
        False,
    )
    assert target.nodes == [
        ("frag.abc.0001.euw1.cache.amazonaws.com", 11211),
        ("frag.abc.0002.euw1.cache.amazonaws.com", 11211),
    ]
    assert "CacheCluster frag status is 'modifying' (expected 'available')" in target.notes
