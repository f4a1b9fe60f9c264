"""``--outputs`` discovery: the cdk outputs-file contract, AuthToken/CaFile, Secrets Manager (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elasticache_connect.outputs import parse_cache_outputs
from elasticache_smoke import DiscoveryError, target_from_outputs


def cache_outputs(prefix: str = "Sessions", **overrides: str | None) -> dict[str, str]:
    """A complete set of contract outputs for one cache."""
    values: dict[str, str | None] = {
        "Engine": "valkey",
        "ResourceType": "ReplicationGroup",
        "ResourceId": "sessions-rg",
        "EndpointAddress": "master.sessions-rg.abc123.euw1.cache.amazonaws.com",
        "EndpointPort": "6379",
        "ReaderEndpointAddress": "replica.sessions-rg.abc123.euw1.cache.amazonaws.com",
        "ReaderEndpointPort": "6379",
        "Tls": "true",
        "ClusterMode": "false",
        "AuthSecretArn": "none",
    }
    values.update(overrides)
    return {f"{prefix}{key}": value for key, value in values.items() if value is not None}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "cdk-outputs.json"
    path.write_text(json.dumps(data))
    return path


def test_single_stack_single_cache_is_chosen_automatically(tmp_path: Path) -> None:
    path = write(tmp_path, {"CacheStack": cache_outputs()})
    target = target_from_outputs(path)
    assert (target.engine, target.host, target.port) == (
        "valkey",
        "master.sessions-rg.abc123.euw1.cache.amazonaws.com",
        6379,
    )
    assert (target.tls, target.cluster, target.password) == (True, False, None)
    assert target.reader_host == "replica.sessions-rg.abc123.euw1.cache.amazonaws.com"
    assert target.source == f"--outputs {path} stack CacheStack cache Sessions"


def test_local_emulator_token_and_ca_file_are_used(tmp_path: Path) -> None:
    outputs = cache_outputs(
        EndpointAddress="127.0.0.1",
        EndpointPort="7001",
        ClusterMode="true",
        AuthToken="local-token",
        CaFile="/tmp/local-ca.pem",
        AuthSecretArn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:never-read",
    )
    target = target_from_outputs(write(tmp_path, {"Local": outputs}), "Local")
    assert (target.host, target.port, target.cluster) == ("127.0.0.1", 7001, True)
    assert target.password == "local-token"  # AuthToken wins; Secrets Manager is not called (no mock here)
    assert target.ca_file == "/tmp/local-ca.pem"


def test_several_caches_need_cache_option(tmp_path: Path) -> None:
    outputs = {**cache_outputs("Sessions"), **cache_outputs("Leaderboard", Engine="redis", ClusterMode="true")}
    path = write(tmp_path, {"App": outputs})
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(path)
    assert str(excinfo.value) == (
        "stack 'App' holds 2 caches; choose one with --cache (allowed: Leaderboard, Sessions)"
    )
    target = target_from_outputs(path, cache="Leaderboard")
    assert (target.engine, target.cluster) == ("redis", True)


def test_several_stacks_need_stack_option(tmp_path: Path) -> None:
    path = write(tmp_path, {"B": cache_outputs(), "A": cache_outputs()})
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(path)
    assert "holds 2 stacks; choose one with --stack (allowed: A, B)" in str(excinfo.value)


def test_memcached_cache_is_never_cluster(tmp_path: Path) -> None:
    outputs = cache_outputs(Engine="memcached", ResourceType="CacheCluster", EndpointPort="11211", ClusterMode="true")
    target = target_from_outputs(write(tmp_path, {"S": outputs}))
    assert (target.engine, target.port, target.cluster) == ("memcached", 11211, False)


@mock_aws
@pytest.mark.parametrize(
    ("secret_string", "token"),
    [
        ("plain-token-value", "plain-token-value"),
        ('{"token": "json-token"}', "json-token"),
        ('{"password": "json-password", "username": "default"}', "json-password"),
        ("{not json but a token", "{not json but a token"),
    ],
)
def test_token_is_read_from_secrets_manager_in_the_arns_region(tmp_path: Path, secret_string: str, token: str) -> None:
    arn = boto3.client("secretsmanager", region_name="eu-central-1").create_secret(
        Name="sessions-auth", SecretString=secret_string
    )["ARN"]
    assert ":eu-central-1:" in arn  # not the default region eu-west-1: the ARN's region must be used
    target = target_from_outputs(write(tmp_path, {"S": cache_outputs(AuthSecretArn=arn)}))
    assert target.password == token


@mock_aws
def test_json_secret_without_token_field_is_rejected(tmp_path: Path) -> None:
    arn = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="bad", SecretString='{"user": "x"}'
    )["ARN"]
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(write(tmp_path, {"S": cache_outputs(AuthSecretArn=arn)}))
    assert "is a JSON object without a 'token' or 'password' string field (fields: user)" in str(excinfo.value)


@mock_aws
def test_missing_secret_names_the_api(tmp_path: Path) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(write(tmp_path, {"S": cache_outputs(AuthSecretArn=arn)}))
    assert str(excinfo.value).startswith(
        f"secretsmanager:GetSecretValue failed for secret {arn}: ResourceNotFoundException"
    )


INVALID = [
    ({"Tls": "yes"}, "stack 'S' output 'SessionsTls' must be 'true' or 'false', got 'yes'"),
    ({"ClusterMode": "1"}, "stack 'S' output 'SessionsClusterMode' must be 'true' or 'false', got '1'"),
    ({"EndpointPort": "abc"}, "stack 'S' output 'SessionsEndpointPort' must be a port number 1-65535, got 'abc'"),
    ({"EndpointPort": "70000"}, "must be a port number 1-65535, got '70000'"),
    ({"ReaderEndpointPort": "0"}, "output 'SessionsReaderEndpointPort' must be a port number 1-65535, got '0'"),
    ({"Engine": "mongodb"}, "stack 'S' output SessionsEngine is 'mongodb'; allowed: redis, valkey, memcached"),
    (
        {"ResourceType": "Cluster"},
        "output SessionsResourceType is 'Cluster'; allowed: ReplicationGroup, ServerlessCache, CacheCluster",
    ),
    ({"AuthSecretArn": "not-an-arn"}, "output 'SessionsAuthSecretArn' is not an ARN with a region: 'not-an-arn'"),
]


@pytest.mark.parametrize(
    ("overrides", "message"), INVALID, ids=[next(iter(o)) + "=" + next(iter(o.values())) for o, _ in INVALID]
)
def test_invalid_output_values_are_named(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(write(tmp_path, {"S": cache_outputs(**overrides)}))
    assert message in str(excinfo.value)


@pytest.mark.parametrize("missing", ["EndpointPort", "Tls", "AuthSecretArn"])
def test_missing_output_is_named(tmp_path: Path, missing: str) -> None:
    outputs = cache_outputs()
    del outputs[f"Sessions{missing}"]
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(write(tmp_path, {"S": outputs}))
    assert f"stack 'S' is missing output(s) Sessions{missing} for cache 'Sessions'" in str(excinfo.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "expected the cdk outputs-file shape"),
        ('{"S": {"Other": "x"}}', "stack 'S' has no cache outputs"),
    ],
)
def test_malformed_outputs_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "out.json"
    path.write_text(content)
    with pytest.raises(DiscoveryError) as excinfo:
        target_from_outputs(path)
    assert message in str(excinfo.value)


def test_unknown_stack_and_cache_list_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path, {"S": cache_outputs()})
    with pytest.raises(DiscoveryError, match=r"--stack 'T' is not in the outputs file; allowed: S"):
        target_from_outputs(path, "T")
    with pytest.raises(DiscoveryError, match=r"--cache 'Nope' is not a cache of stack 'S'; allowed: Sessions"):
        target_from_outputs(path, "S", "Nope")


def test_parse_keeps_optional_reader_absent() -> None:
    outputs = cache_outputs(ReaderEndpointAddress=None, ReaderEndpointPort=None)
    parsed = parse_cache_outputs("S", outputs, "Sessions")
    assert parsed.reader_address is None and parsed.reader_port is None
