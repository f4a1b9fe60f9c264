"""Where ``connect()`` finds a cache: URLs with redis-py's query parameters, environment variables, outputs files
with ``<P>LocalUsers``, Secrets Manager (moto) read once; bad input names what is missing and never the secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elasticache_connect import (
    ClientOptions,
    DiscoveryError,
    UsageError,
    env_name,
    fetch_auth_token,
    resolve_target,
    target_from_env,
    target_from_url,
)
from tests.aws.test_outputs_file import cache_outputs, write

SECRET = "s3cr3t-T0ken-value-0123456789"


def test_rediss_query_parameters_are_parsed_like_redis_py() -> None:
    target = target_from_url(
        "rediss://:tok@h.example:6380/0?ssl_ca_certs=/ca.pem&ssl_cert_reqs=none&socket_timeout=0.5"
        "&ssl_check_hostname=false&health_check_interval=7&client_name=app"
    )
    assert (target.tls, target.ca_file, target.tls_verify, target.port) == (True, "/ca.pem", False, 6380)
    assert target.options == {
        "socket_timeout": 0.5, "ssl_check_hostname": False, "health_check_interval": 7, "client_name": "app",
    }
    from elasticache_connect import redis_kwargs

    kwargs = redis_kwargs(target)
    assert kwargs["socket_timeout"] == 0.5 and kwargs["ssl_ca_certs"] == "/ca.pem"
    assert kwargs["ssl_cert_reqs"] == "none" and kwargs["ssl_check_hostname"] is False
    assert "tok" not in repr(target) and "tok" not in json.dumps(target.as_dict())
    keyed = target_from_url("rediss://h?ssl_password=k3y-pa55word&ssl_certfile=/c.pem")
    assert keyed.options["ssl_password"] == "k3y-pa55word"
    assert "k3y-pa55word" not in repr(keyed) and "k3y-pa55word" not in json.dumps(keyed.as_dict())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:80", "url 'http://h:80': scheme 'http' is not supported; allowed: redis://, rediss://"),
        ("rediss://h?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
        ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs='maybe'; allowed: none, optional, required"),
        ("redis://h?db=2", "db must be 0"),
        ("memcached://h?x=1", "memcached URLs take no query parameters"),
        ("rediss://:hunter2hunter2@h:99999", "url 'rediss://:\\*\\*\\*@h:99999': invalid port"),
    ],
)
def test_bad_urls_name_the_problem_and_hide_the_password(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        resolve_target(url=url)
    assert "hunter2" not in str(info.value)


def env_for(prefix: str, outputs: dict[str, str], source_prefix: str = "Sessions") -> dict[str, str]:
    return {env_name(prefix, key[len(source_prefix):]): value for key, value in outputs.items()}


def test_environment_variables_named_after_the_contract() -> None:
    assert env_name("SESSIONS", "EndpointAddress") == "SESSIONS_ENDPOINT_ADDRESS"
    assert env_name("SESSIONS", "AuthSecretArn") == "SESSIONS_AUTH_SECRET_ARN"
    environ = {**env_for("SESSIONS", cache_outputs(ClusterMode="true")), "AWS_REGION": "eu-west-1"}
    target = target_from_env("SESSIONS", environ)
    assert (target.host, target.cluster, target.tls, target.region) == (
        "master.sessions-rg.abc123.euw1.cache.amazonaws.com", True, True, "eu-west-1",
    )
    assert target.resource_id == "sessions-rg" and target.reader_host is not None


def test_missing_environment_variables_are_named() -> None:
    environ = env_for("SESSIONS", cache_outputs())
    del environ["SESSIONS_ENDPOINT_PORT"], environ["SESSIONS_TLS"]
    with pytest.raises(DiscoveryError, match="SESSIONS_ENDPOINT_PORT, SESSIONS_TLS not set"):
        target_from_env("SESSIONS", environ)
    with pytest.raises(UsageError, match="env: got 'sessions'"):
        target_from_env("sessions", environ)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "no cache given: pass outputs_file="),
        ({"stak": "S"}, "unknown argument\\(s\\) stak; allowed: outputs_file, stack, cache, url"),
        ({"stack": "S"}, "stack='S' without outputs_file= needs region="),
        ({"url": "redis://h", "env": "X"}, "give one of outputs_file=, stack= with region=, url= or env=; got url, env"),
        ({"url": "redis://h", "iam": True}, "iam=True needs user="),
        ({"url": "redis://h", "iam": True, "user": "u"}, "iam=True: cache_name= is needed"),
        ({"url": "redis://h", "iam": True, "user": "u", "password": "p"}, "exclude each other"),
    ],
)
def test_bad_combinations(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_target(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retries": -1}, "retries: got -1; must be >= 0"),
        ({"socket_timeout": 0}, "socket_timeout: got 0; must be > 0 seconds"),
        ({"read_from": "nearest"}, "read_from: got 'nearest'; allowed: primary, replicas"),
    ],
)
def test_bad_client_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ClientOptions(**kwargs)


def test_local_users_give_the_named_user_its_password(tmp_path: Path) -> None:
    users = {"alice": {"password": "alice-password-123456", "iam": False}, "bob": {"password": None, "iam": True}}
    path = write(tmp_path, {"S": cache_outputs(AuthToken="default-token", LocalUsers=json.dumps(users))})
    alice = resolve_target(outputs_file=path, user="alice")
    assert (alice.username, alice.password) == ("alice", "alice-password-123456")
    bob = resolve_target(outputs_file=path, user="bob")  # IAM user: locally any token passes (nopass)
    assert bob.username == "bob" and bob.password
    with pytest.raises(UsageError, match="user 'carol' is not a user of this cache; allowed: alice, bob"):
        resolve_target(outputs_file=path, user="carol")


def test_iam_from_outputs_signs_for_the_resource(tmp_path: Path) -> None:
    path = write(tmp_path, {"S": cache_outputs(ResourceType="ServerlessCache", ResourceId="catalog")})
    target = resolve_target(outputs_file=path, user="app", iam=True, region="eu-west-1")
    provider = target.credential_provider
    assert (provider.cache_name, provider.serverless, provider.region) == ("catalog", True, "eu-west-1")
    assert target.password is None and "IAM as app" in target.describe()


@mock_aws
def test_secret_is_read_once_and_cached(tmp_path: Path) -> None:
    arn = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="tok", SecretString=SECRET)["ARN"]
    calls: list[str] = []

    def factory(service: str, region: str | None) -> Any:
        calls.append(service)
        return boto3.client(service, region_name=region)

    path = write(tmp_path, {"S": cache_outputs(AuthSecretArn=arn)})
    for _ in range(3):
        assert resolve_target(outputs_file=path, factory=factory).password == SECRET
    assert calls == ["secretsmanager"]
    assert resolve_target(outputs_file=path, password="explicit").password == "explicit"  # no read at all
    assert calls == ["secretsmanager"]


@mock_aws
@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ('{"user": "x", "pass": "' + SECRET + '"}', "JSON object without a 'token' or 'password' string field"),
        ("line\nbreak " + SECRET, "does not hold an AUTH token: expected 1-128 printable ASCII"),
        ("x" * 200 + SECRET, "does not hold an AUTH token"),
    ],
)
def test_a_secret_that_is_not_a_token_is_refused_without_showing_it(secret: str, message: str) -> None:
    arn = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="bad", SecretString=secret)["ARN"]
    with pytest.raises(DiscoveryError, match=message) as info:
        fetch_auth_token(arn, cached=False)
    assert SECRET not in str(info.value)


def test_auto_discovery_reply_of_the_docs_is_parsed() -> None:
    from elasticache_connect import parse_cluster_config

    reply = (b"CONFIG cluster 0 147\r\n12\n"
             b"mycluster.0001.cache.amazonaws.com|10.82.235.120|11211 "
             b"mycluster.0002.cache.amazonaws.com|10.80.249.27|11211\n\r\nEND\r\n")
    assert parse_cluster_config(reply) == (
        12, [("mycluster.0001.cache.amazonaws.com", 11211), ("mycluster.0002.cache.amazonaws.com", 11211)])
    with pytest.raises(ValueError, match="not a config get cluster response"):
        parse_cluster_config(b"ERROR\r\n")


@mock_aws
def test_connect_from_a_deployed_stack_builds_the_cluster_client_for_the_live_endpoint() -> None:
    """moto: CloudFormation outputs + DescribeReplicationGroups; the client is configured, not connected."""
    from redis.cluster import RedisCluster

    from tests.aws.test_stack_discovery import REGION, contract, create_group, deploy_stack

    group = create_group("board-rg", cluster=True)
    deploy_stack("Board", contract("Board", ResourceId="board-rg", ClusterMode="true"))
    target = resolve_target(stack="Board", region=REGION)
    live = group["ConfigurationEndpoint"]
    assert (target.host, target.port, target.cluster, target.region) == (live["Address"], live["Port"], True, REGION)
    iam = resolve_target(stack="Board", region=REGION, user="app", iam=True)
    assert iam.credential_provider.cache_name == "board-rg" and not iam.credential_provider.serverless
    from elasticache_connect import redis_kwargs
    from elasticache_connect.clients import ElastiCacheCluster

    kwargs = redis_kwargs(iam, ClientOptions(), cluster=True)
    assert kwargs["credential_provider"] is iam.credential_provider and "password" not in kwargs
    assert issubclass(ElastiCacheCluster, RedisCluster)  # connect() returns a RedisCluster for cluster mode
