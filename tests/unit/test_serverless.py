"""ServerlessCache (on the alpha ``ServerlessCache``) and the serverless-cache stack: template assertions for every
option, every validation rule, cdk-nag, and no plaintext secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template
from aws_cdk.aws_elasticache_alpha import (
    AccessControl,
    CacheEngine,
    NoPasswordUser,
    PasswordUser,
    UserEngine,
    UserGroup,
)
from aws_cdk.aws_elasticache_alpha import ServerlessCache as AlphaServerlessCache
from cfnlint.api import ManualArgs, lint_file

from elasticache_constructs import Authentication, Engine, ServerlessCache, ValidationError
from elasticache_constructs.serverless import SERVERLESS_MAJOR_VERSIONS
from stacks import AppConfig, NetworkStack
from stacks.serverless_cache import ServerlessCacheStack

from .helpers import new_stack, new_vpc, synth_with_nag

SC = "AWS::ElastiCache::ServerlessCache"
RESTORE_ARN = "arn:aws:elasticache:us-east-1:123456789012:serverlesscachesnapshot:catalog-seed"


def _cache(tmpl: dict[str, Any], construct_id: str) -> dict[str, Any]:
    for logical_id, res in tmpl["Resources"].items():
        if res["Type"] == SC and logical_id.startswith(construct_id) and len(logical_id) == len(construct_id) + 8:
            return dict(res)
    raise AssertionError(f"no serverless cache {construct_id}")


def _props(tmpl: dict[str, Any], construct_id: str) -> dict[str, Any]:
    return dict(_cache(tmpl, construct_id)["Properties"])


def _of_type(tmpl: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in tmpl["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """One stack holding caches that exercise every option; synthesized once."""
    stack = new_stack()
    vpc = new_vpc(stack)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    own_sg = ec2.SecurityGroup(stack, "OwnSg", vpc=vpc)
    clients = ec2.SecurityGroup(stack, "Clients", vpc=vpc)
    default_user = NoPasswordUser(stack, "DefaultUser", user_id="catalog-default", user_name="default",
                                  engine=UserEngine.REDIS,
                                  access_control=AccessControl.from_access_string("off -@all"))
    redis_group = UserGroup(stack, "RedisUsers", engine=UserEngine.REDIS, users=[default_user])
    imported_group = UserGroup.from_user_group_attributes(stack, "ImportedUsers", user_group_name="shared-users")
    caches: dict[str, ServerlessCache] = {
        "Defaults": ServerlessCache(stack, "Defaults", vpc=vpc),
        "Full": ServerlessCache(
            stack, "Full", vpc=vpc, engine=CacheEngine.REDIS_7,
            authentication=Authentication.user_group(redis_group), kms_key=key,
            data_storage_min_gb=2, data_storage_max_gb=20, ecpu_per_second_min=2_000, ecpu_per_second_max=50_000,
            snapshot_retention_days=7, daily_snapshot_time="04:30", final_snapshot_name="full-final",
            snapshot_arns_to_restore=[RESTORE_ARN],
            vpc_subnets=ec2.SubnetSelection(availability_zones=["us-east-1a", "us-east-1b"]),
            security_groups=[own_sg], serverless_cache_name="full-cache", description="every option",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        ),
        "Memcached": ServerlessCache(stack, "Memcached", vpc=vpc, engine=CacheEngine.MEMCACHED_1_6),
        "ByEnum": ServerlessCache(stack, "ByEnum", vpc=vpc, engine=Engine.VALKEY, major_engine_version="8",
                                  authentication=Authentication.none()),
        "Latest": ServerlessCache(stack, "Latest", vpc=vpc, engine="redis", snapshot_retention_days=0),
        "Imported": ServerlessCache(stack, "Imported", vpc=vpc,
                                    authentication=Authentication.user_group(imported_group)),
    }
    caches["Defaults"].connections.allow_default_port_from(clients, "clients")
    caches["Memcached"].connections.allow_default_port_from(clients, "clients")
    for cache in caches.values():
        cache.add_connection_outputs()
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    caches["Defaults"].grant_connect(role)
    imported = ServerlessCache.from_serverless_cache_name(stack, "Existing", "existing-cache")
    metrics = {
        "hits": caches["Defaults"].metric_cache_hit_count(),
        "ecpu": caches["Full"].metric_processing_units_consumed(),
        "custom": caches["Defaults"].metric("ThrottledCmds", statistic="Sum", period=cdk.Duration.minutes(1)),
    }
    tmpl = Template.from_stack(stack).to_json()
    return {"stack": stack, "tmpl": tmpl, "caches": caches, "clients": clients, "own_sg": own_sg, "key": key,
            "imported": imported, "metrics": metrics, "groups": {"redis": redis_group}}


# --- defaults ----------------------------------------------------------------------------------------------
def test_defaults_are_valkey_9_with_daily_snapshots(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "Defaults")
    assert props["Engine"] == "valkey"
    assert props["MajorEngineVersion"] == "9"
    assert props["SnapshotRetentionLimit"] == 1
    for absent in ("CacheUsageLimits", "KmsKeyId", "UserGroupId", "DailySnapshotTime", "FinalSnapshotName",
                   "SnapshotArnsToRestore", "Description"):
        assert absent not in props


def test_default_name_is_lowercase_and_is_the_metric_dimension(built: dict[str, Any]) -> None:
    name = _props(built["tmpl"], "Defaults")["ServerlessCacheName"]
    assert re.fullmatch(r"[a-z][a-z0-9]{0,39}", name), name
    stack = built["stack"]
    assert stack.resolve(built["caches"]["Defaults"].metric_dimensions()) == {"clusterId": name}


def test_default_security_group_has_no_ingress_and_no_egress(built: dict[str, Any]) -> None:
    tmpl = built["tmpl"]
    groups = {k: v for k, v in _of_type(tmpl, "AWS::EC2::SecurityGroup").items() if k.startswith("LatestSecurityGroup")}
    assert len(groups) == 1
    (sg_id, sg), = groups.items()
    assert sg["Properties"]["SecurityGroupEgress"] == [
        {"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252,
         "IpProtocol": "icmp", "ToPort": 86}
    ]
    assert "SecurityGroupIngress" not in sg["Properties"]
    assert not [r for r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").values()
                if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg_id, "GroupId"]}]
    assert _props(tmpl, "Latest")["SecurityGroupIds"] == [{"Fn::GetAtt": [sg_id, "GroupId"]}]


def test_default_subnets_are_the_vpcs_private_subnets(built: dict[str, Any]) -> None:
    assert _props(built["tmpl"], "Defaults")["SubnetIds"] == [
        {"Ref": f"VpcisoSubnet{i}Subnet{h}"} for i, h in ((1, "F803BCCA"), (2, "D15FCDEF"), (3, "557E090D"))
    ]


def test_default_removal_policy_is_delete(built: dict[str, Any]) -> None:
    cache = _cache(built["tmpl"], "Defaults")
    assert cache["DeletionPolicy"] == "Delete"
    assert cache["UpdateReplacePolicy"] == "Delete"


# --- connections ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cache", "ports"), [("Defaults", (6379, 6380)), ("Memcached", (11211, 11212))])
def test_connections_open_both_endpoint_ports(built: dict[str, Any], cache: str, ports: tuple[int, int]) -> None:
    tmpl = built["tmpl"]
    rules = [r["Properties"] for k, r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").items()
             if k.startswith(f"{cache}SecurityGroup")]
    assert len(rules) == 1
    assert (rules[0]["FromPort"], rules[0]["ToPort"]) == ports
    assert rules[0]["IpProtocol"] == "tcp"
    assert (built["caches"][cache].port, built["caches"][cache].reader_port) == ports


def test_connections_of_given_security_groups(built: dict[str, Any]) -> None:
    tmpl = built["tmpl"]
    assert _props(tmpl, "Full")["SecurityGroupIds"] == [
        {"Fn::GetAtt": [built["stack"].get_logical_id(built["own_sg"].node.default_child), "GroupId"]}
    ]
    assert not [k for k in _of_type(tmpl, "AWS::EC2::SecurityGroup") if k.startswith("FullSecurityGroup")]
    assert built["caches"]["Full"].connections.security_groups == [built["own_sg"]]


# --- every option ------------------------------------------------------------------------------------------
def test_full_options(built: dict[str, Any]) -> None:
    stack = built["stack"]
    props = _props(built["tmpl"], "Full")
    assert props["Engine"] == "redis"
    assert props["MajorEngineVersion"] == "7"
    assert props["ServerlessCacheName"] == "full-cache"
    assert props["Description"] == "every option"
    assert props["KmsKeyId"] == {"Ref": stack.get_logical_id(built["key"].node.default_child)}
    assert props["CacheUsageLimits"] == {
        "DataStorage": {"Minimum": 2, "Maximum": 20, "Unit": "GB"},
        "ECPUPerSecond": {"Minimum": 2000, "Maximum": 50000},
    }
    assert props["SnapshotRetentionLimit"] == 7
    assert props["DailySnapshotTime"] == "04:30"
    assert props["FinalSnapshotName"] == "full-final"
    assert props["SnapshotArnsToRestore"] == [RESTORE_ARN]
    assert len(props["SubnetIds"]) == 2
    assert _cache(built["tmpl"], "Full")["DeletionPolicy"] == "Retain"


def test_user_group_is_referenced_and_created_first(built: dict[str, Any]) -> None:
    stack = built["stack"]
    group_id = stack.get_logical_id(built["groups"]["redis"].node.default_child)
    cache = _cache(built["tmpl"], "Full")
    assert cache["Properties"]["UserGroupId"] == stack.resolve(built["groups"]["redis"].user_group_name)
    assert built["tmpl"]["Resources"][group_id]["Properties"]["UserGroupId"] == cache["Properties"]["UserGroupId"]
    assert group_id in cache["DependsOn"]
    assert built["caches"]["Full"].user_group is built["groups"]["redis"]


def test_imported_user_group_is_referenced_by_name(built: dict[str, Any]) -> None:
    assert _props(built["tmpl"], "Imported")["UserGroupId"] == "shared-users"
    assert built["caches"]["Imported"].user_group.user_group_name == "shared-users"


def test_engine_enum_with_major_version(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "ByEnum")
    assert (props["Engine"], props["MajorEngineVersion"]) == ("valkey", "8")


def test_engine_without_major_version_lets_elasticache_choose(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "Latest")
    assert props["Engine"] == "redis"
    assert "MajorEngineVersion" not in props
    assert built["caches"]["Latest"].major_engine_version is None


def test_zero_retention_disables_automatic_snapshots(built: dict[str, Any]) -> None:
    assert "SnapshotRetentionLimit" not in _props(built["tmpl"], "Latest")


def test_memcached_serverless(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "Memcached")
    assert (props["Engine"], props["MajorEngineVersion"]) == ("memcached", "1.6")
    assert built["caches"]["Memcached"].cluster_mode is False
    assert built["caches"]["Memcached"].reader_endpoint is None


# --- outputs -------------------------------------------------------------------------------------------------
def test_outputs_contract_valkey(built: dict[str, Any]) -> None:
    outputs = built["tmpl"]["Outputs"]
    cache_id = next(k for k in built["tmpl"]["Resources"] if k.startswith("Defaults") and len(k) == len("Defaults") + 8
                and built["tmpl"]["Resources"][k]["Type"] == SC)
    assert outputs["DefaultsEngine"]["Value"] == "valkey"
    assert outputs["DefaultsResourceType"]["Value"] == "ServerlessCache"
    assert outputs["DefaultsResourceId"]["Value"] == {"Ref": cache_id}
    assert outputs["DefaultsEndpointAddress"]["Value"] == {"Fn::GetAtt": [cache_id, "Endpoint.Address"]}
    assert outputs["DefaultsEndpointPort"]["Value"] == {"Fn::GetAtt": [cache_id, "Endpoint.Port"]}
    assert outputs["DefaultsReaderEndpointAddress"]["Value"] == {"Fn::GetAtt": [cache_id, "ReaderEndpoint.Address"]}
    assert outputs["DefaultsReaderEndpointPort"]["Value"] == {"Fn::GetAtt": [cache_id, "ReaderEndpoint.Port"]}
    assert outputs["DefaultsTls"]["Value"] == "true"
    assert outputs["DefaultsClusterMode"]["Value"] == "true"
    assert outputs["DefaultsAuthSecretArn"]["Value"] == "none"


def test_outputs_contract_memcached(built: dict[str, Any]) -> None:
    outputs = built["tmpl"]["Outputs"]
    assert outputs["MemcachedEngine"]["Value"] == "memcached"
    assert outputs["MemcachedResourceType"]["Value"] == "ServerlessCache"
    assert outputs["MemcachedClusterMode"]["Value"] == "false"
    assert outputs["MemcachedTls"]["Value"] == "true"
    assert "MemcachedReaderEndpointAddress" not in outputs
    assert "MemcachedReaderEndpointPort" not in outputs


# --- the alpha's API keeps working ------------------------------------------------------------------------
def test_metrics_use_the_cluster_id_dimension(built: dict[str, Any]) -> None:
    stack = built["stack"]
    hits, ecpu, custom = built["metrics"]["hits"], built["metrics"]["ecpu"], built["metrics"]["custom"]
    name = _props(built["tmpl"], "Defaults")["ServerlessCacheName"]
    assert stack.resolve(hits.dimensions) == {"clusterId": name}
    assert (hits.namespace, hits.metric_name, hits.statistic, hits.period.to_minutes()) == (
        "AWS/ElastiCache", "CacheHits", "Sum", 5)
    assert stack.resolve(ecpu.dimensions) == {"clusterId": "full-cache"}
    assert (ecpu.metric_name, ecpu.statistic) == ("ElastiCacheProcessingUnits", "Average")
    assert (custom.metric_name, custom.statistic, custom.period.to_minutes()) == ("ThrottledCmds", "Sum", 1)
    assert "ServerlessCacheName" not in stack.resolve(custom.dimensions)


def test_grant_connect_of_the_alpha(built: dict[str, Any]) -> None:
    policies = _of_type(built["tmpl"], "AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    cache_id = next(k for k, v in built["tmpl"]["Resources"].items() if v["Type"] == SC and k.startswith("Defaults"))
    assert len(statements) == 1
    assert "elasticache:Connect" in statements[0]["Action"]
    assert statements[0]["Resource"] == {"Fn::GetAtt": [cache_id, "ARN"]}


def test_alpha_importers_and_type_checks(built: dict[str, Any]) -> None:
    stack = built["stack"]
    assert stack.resolve(built["imported"].serverless_cache_name) == "existing-cache"
    assert isinstance(built["caches"]["Defaults"], AlphaServerlessCache)
    assert AlphaServerlessCache.is_serverless_cache(built["caches"]["Defaults"])


# --- validation ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scope() -> dict[str, Any]:
    """A stack and VPC shared by the invalid-input cases (construction fails before any child is added)."""
    stack = new_stack(id="Invalid")
    vpc = new_vpc(stack)
    secret = secretsmanager.Secret(stack, "Token")
    valkey_user = PasswordUser(stack, "ValkeyDefault", user_id="valkey-default", user_name="default",
                               engine=UserEngine.VALKEY, passwords=[secret.secret_value],
                               access_control=AccessControl.from_access_string("off -@all"))
    return {"stack": stack, "vpc": vpc, "secret": secret,
            "valkey_group": UserGroup(stack, "ValkeyUsers", engine=UserEngine.VALKEY, users=[valkey_user])}


Case = tuple[Callable[[dict[str, Any]], dict[str, Any]], str]
INVALID: dict[str, Case] = {
    "unknown valkey major": (lambda s: {"engine": CacheEngine.of("valkey", "6")},
                             r"major_engine_version: got '6'; serverless valkey offers major versions '7', '8', '9'"),
    "unknown redis major": (lambda s: {"engine": Engine.REDIS, "major_engine_version": "6"},
                            r"major_engine_version: got '6'; serverless redis offers major versions '7'"),
    "unknown memcached major": (lambda s: {"engine": "memcached", "major_engine_version": "1.5"},
                                r"major_engine_version: got '1.5'; serverless memcached offers major versions '1.6'"),
    "major twice": (lambda s: {"engine": CacheEngine.REDIS_7, "major_engine_version": "7"},
                    r"major_engine_version: got '7'; the CacheEngine 'redis_7' already sets it"),
    "unknown engine": (lambda s: {"engine": "mongodb"}, r"engine: got 'mongodb'; allowed: valkey, redis, memcached"),
    "engine type": (lambda s: {"engine": 9}, r"engine: got 9; pass a CacheEngine"),
    "generated token": (lambda s: {"authentication": Authentication.generated_token()},
                        r"authentication: got 'generated'; serverless caches have no AUTH token"),
    "token from secret": (lambda s: {"authentication": Authentication.token_from_secret(s["secret"])},
                          r"authentication: got 'secret'; serverless caches have no AUTH token"),
    "user group on memcached": (lambda s: {"engine": CacheEngine.MEMCACHED_LATEST,
                                           "authentication": Authentication.user_group(s["valkey_group"])},
                                r"authentication: got 'user_group'; serverless memcached has no user groups"),
    "valkey group on redis": (lambda s: {"engine": CacheEngine.REDIS_7,
                                         "authentication": Authentication.user_group(s["valkey_group"])},
                              r"a redis serverless cache needs a user group with engine UserEngine.REDIS"),
    "authentication type": (lambda s: {"authentication": "rbac"},
                            r"authentication: got 'rbac'; pass Authentication.user_group"),
    "kms key type": (lambda s: {"kms_key": "arn:aws:kms:us-east-1:123456789012:key/x"},
                     r"kms_key: got 'arn:aws:kms:.*'; pass a kms.IKey"),
    "storage min low": (lambda s: {"data_storage_min_gb": 0}, r"data_storage_min_gb: got 0; must be from 1 to 5000"),
    "storage max high": (lambda s: {"data_storage_max_gb": 5001},
                         r"data_storage_max_gb: got 5001; must be from 1 to 5000"),
    "storage not whole": (lambda s: {"data_storage_max_gb": 1.5},
                          r"data_storage_max_gb: got 1.5; must be a whole number from 1 to 5000"),
    "storage min above max": (lambda s: {"data_storage_min_gb": 10, "data_storage_max_gb": 5},
                              r"data_storage_min_gb: got 10; must be at most data_storage_max_gb \(5\)"),
    "ecpu min low": (lambda s: {"ecpu_per_second_min": 999},
                     r"ecpu_per_second_min: got 999; must be from 1000 to 15000000"),
    "ecpu max high": (lambda s: {"ecpu_per_second_max": 15_000_001},
                      r"ecpu_per_second_max: got 15000001; must be from 1000 to 15000000"),
    "ecpu min above max": (lambda s: {"ecpu_per_second_min": 5000, "ecpu_per_second_max": 4000},
                           r"ecpu_per_second_min: got 5000; must be at most ecpu_per_second_max \(4000\)"),
    "retention high": (lambda s: {"snapshot_retention_days": 36},
                       r"snapshot_retention_days: got 36; must be from 0 to 35"),
    "retention negative": (lambda s: {"snapshot_retention_days": -1},
                           r"snapshot_retention_days: got -1; must be from 0 to 35"),
    "snapshot time hour": (lambda s: {"daily_snapshot_time": "24:00"},
                           r"daily_snapshot_time: got '24:00'; format is 'hh24:mi' in UTC"),
    "snapshot time format": (lambda s: {"daily_snapshot_time": "4am"},
                             r"daily_snapshot_time: got '4am'; format is 'hh24:mi' in UTC"),
    "snapshot time without snapshots": (lambda s: {"daily_snapshot_time": "04:00", "snapshot_retention_days": 0},
                                        r"daily_snapshot_time: got '04:00'; automatic snapshots are off"),
    "final snapshot digit": (lambda s: {"final_snapshot_name": "1-final"},
                             r"final_snapshot_name: got '1-final'; must start with a letter"),
    "final snapshot double hyphen": (lambda s: {"final_snapshot_name": "a--b"},
                                     r"final_snapshot_name: got 'a--b'; must start with a letter"),
    "final snapshot trailing hyphen": (lambda s: {"final_snapshot_name": "final-"},
                                       r"final_snapshot_name: got 'final-'"),
    "final snapshot underscore": (lambda s: {"final_snapshot_name": "final_1"},
                                  r"final_snapshot_name: got 'final_1'"),
    "name uppercase": (lambda s: {"serverless_cache_name": "Catalog"},
                       r"serverless_cache_name: got 'Catalog'; must be 1-40 lowercase letters"),
    "name too long": (lambda s: {"serverless_cache_name": "a" * 41}, r"serverless_cache_name: got 'a{41}'"),
    "name leading hyphen": (lambda s: {"serverless_cache_name": "-a"}, r"serverless_cache_name: got '-a'"),
    "name double hyphen": (lambda s: {"serverless_cache_name": "a--b"}, r"serverless_cache_name: got 'a--b'"),
    "name trailing hyphen": (lambda s: {"serverless_cache_name": "ab-"}, r"serverless_cache_name: got 'ab-'"),
    "description long": (lambda s: {"description": "x" * 256},
                         r"description: got 'x{40}\.\.\.'; must be at most 255 characters"),
    "description brackets": (lambda s: {"description": "<b>cache</b>"},
                             r"description: got '<b>cache</b>'; must not contain '<' or '>'"),
    "removal snapshot": (lambda s: {"removal_policy": cdk.RemovalPolicy.SNAPSHOT},
                         r"removal_policy: got 'RemovalPolicy.SNAPSHOT'; allowed: RemovalPolicy.DESTROY, "
                         r"RemovalPolicy.RETAIN; for a backup on delete set final_snapshot_name"),
    "no security groups": (lambda s: {"security_groups": []}, r"security_groups: got \[\]; pass at least one"),
}


@pytest.mark.parametrize(("make", "message"), list(INVALID.values()), ids=list(INVALID))
def test_invalid_input(scope: dict[str, Any], make: Callable[[dict[str, Any]], dict[str, Any]], message: str,
                       request: pytest.FixtureRequest) -> None:
    construct_id = "Bad" + re.sub(r"\W", "", request.node.callspec.id.title())
    with pytest.raises(ValidationError, match=message):
        ServerlessCache(scope["stack"], construct_id, vpc=scope["vpc"], **make(scope))
    assert scope["stack"].node.try_find_child(construct_id) is None  # nothing half-built was left behind


def test_every_engine_major_in_the_table_synthesizes(scope: dict[str, Any]) -> None:
    for engine, majors in SERVERLESS_MAJOR_VERSIONS.items():
        for major in majors:
            cache = ServerlessCache(scope["stack"], f"Ok{engine.value}{major.replace('.', '')}", vpc=scope["vpc"],
                                    engine=engine, major_engine_version=major)
            assert (cache.engine_type, cache.major_engine_version) == (engine, major)


# --- the stack -----------------------------------------------------------------------------------------------
def _build_app(app: cdk.App) -> None:
    app.node.set_context("@aws-cdk/core:defaultCrossStackReferences", "strong")  # as in cdk.json
    config = AppConfig.from_context(app.node)
    network = NetworkStack(app, "Network", config=config)
    ServerlessCacheStack(app, "Catalog", config=config, vpc=network.vpc)


@pytest.fixture(scope="module")
def assembly() -> cdk.cx_api.CloudAssembly:
    """The serverless-cache stack synthesized once, with cdk-nag AwsSolutions (raises on unacknowledged errors)."""
    return synth_with_nag(_build_app)


def test_stack_template_has_no_cfn_lint_errors(assembly: cdk.cx_api.CloudAssembly) -> None:
    template = Path(assembly.directory) / assembly.get_stack_artifact("Catalog").template_file
    matches = lint_file(template, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_stack_passes_cdk_nag_and_cdk_validation_without_messages(assembly: cdk.cx_api.CloudAssembly) -> None:
    stack = assembly.get_stack_artifact("Catalog")
    report = Path(assembly.directory) / "validation-report.json"
    if report.exists():
        reports = json.loads(report.read_text())["pluginReports"]
        assert [(r["pluginName"], r["violations"]) for r in reports if r["violations"]] == []
    assert [m.entry.data for m in stack.messages] == []


def test_stack_has_usage_limits_and_outputs(assembly: cdk.cx_api.CloudAssembly) -> None:
    tmpl = assembly.get_stack_artifact("Catalog").template
    (cache,) = _of_type(tmpl, SC).values()
    assert cache["Properties"]["CacheUsageLimits"] == {
        "DataStorage": {"Maximum": 10, "Unit": "GB"}, "ECPUPerSecond": {"Minimum": 1000, "Maximum": 100000},
    }
    assert cache["Properties"]["Engine"] == "valkey"
    assert cache["Properties"]["MajorEngineVersion"] == "9"
    outputs = tmpl["Outputs"]
    for suffix in ("Engine", "ResourceType", "ResourceId", "EndpointAddress", "EndpointPort", "ReaderEndpointAddress",
                   "ReaderEndpointPort", "Tls", "ClusterMode", "AuthSecretArn"):
        assert f"Catalog{suffix}" in outputs
    assert outputs["CatalogResourceType"]["Value"] == "ServerlessCache"
    assert outputs["CatalogClusterMode"]["Value"] == "true"
    ingress = [r["Properties"] for r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").values()]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(6379, 6380)]


# --- no plaintext secrets ----------------------------------------------------------------------------------
SECRET_KEY = re.compile(r"^(password|passwords|authtoken|secretstring|token)$", re.IGNORECASE)


def _secret_values(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if SECRET_KEY.search(key):
        yield key, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _secret_values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _secret_values(v, key)


def test_no_template_contains_a_plaintext_secret(assembly: cdk.cx_api.CloudAssembly) -> None:
    """RBAC passwords from Secrets Manager reach the template only as dynamic references."""
    app = cdk.App()
    stack = new_stack(app, "Rbac")
    vpc = new_vpc(stack)
    secret = secretsmanager.Secret(stack, "AppPassword")
    user = PasswordUser(stack, "App", user_id="catalog-app", user_name="default", engine=UserEngine.VALKEY,
                        access_control=AccessControl.from_access_string("on ~catalog:* +@read"),
                        passwords=[secret.secret_value])
    ServerlessCache(stack, "Cache", vpc=vpc,
                    authentication=Authentication.user_group(UserGroup(stack, "Users", users=[user])))
    templates = [Template.from_stack(stack).to_json()] + [s.template for s in assembly.stacks]
    found = [(k, v) for t in templates for k, v in _secret_values(t)]
    assert found, "the RBAC user's password must be in the template (as a reference)"
    for key, value in found:
        text = json.dumps(value)
        assert "{{resolve:secretsmanager:" in text, f"{key} is not a Secrets Manager dynamic reference: {text}"
