"""MemcachedCluster and the Memcached page-cache stack: template assertions for every option, every validation
rule, cdk-nag, and no plaintext secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match, Template
from cfnlint.api import ManualArgs, lint_file

from elasticache_constructs import (
    AzMode,
    EngineVersion,
    MemcachedCluster,
    NodeType,
    ParameterGroup,
    TransitEncryption,
    ValidationError,
)
from elasticache_constructs.engine import Engine
from elasticache_constructs.memcached import UNSUPPORTED_PROPERTIES
from stacks import AppConfig, NetworkStack
from stacks.page_cache import PAGE_CACHE_ACKNOWLEDGEMENTS, PageCacheStack

from .helpers import new_stack, new_vpc, synth_with_nag

CC = "AWS::ElastiCache::CacheCluster"
MEMCACHED_1_6_6 = EngineVersion.of(Engine.MEMCACHED, "1.6.6")


def _cluster(tmpl: dict[str, Any], construct_id: str) -> dict[str, Any]:
    for logical_id, res in tmpl["Resources"].items():
        if res["Type"] == CC and re.fullmatch(rf"{construct_id}[0-9A-F]{{8}}", logical_id):
            return dict(res)
    raise AssertionError(f"no cache cluster {construct_id}")


def _props(tmpl: dict[str, Any], construct_id: str) -> dict[str, Any]:
    return dict(_cluster(tmpl, construct_id)["Properties"])


def _of_type(tmpl: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in tmpl["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """One stack holding clusters that exercise every option; synthesized once."""
    stack = new_stack()
    vpc = new_vpc(stack)
    clients = ec2.SecurityGroup(stack, "Clients", vpc=vpc)
    own_sg = ec2.SecurityGroup(stack, "OwnSg", vpc=vpc)
    params = ParameterGroup(stack, "Params", engine_version=EngineVersion.MEMCACHED_1_6_22,
                            parameters={"max_item_size": 2 * 1024 * 1024})
    clusters: dict[str, MemcachedCluster] = {
        "Defaults": MemcachedCluster(stack, "Defaults", vpc=vpc),
        "Full": MemcachedCluster(
            stack, "Full", vpc=vpc, node_type="cache.r7g.large", nodes=3, engine_version=EngineVersion.MEMCACHED_1_6_17,
            az_mode="cross-az", preferred_availability_zones=["us-east-1a", "us-east-1b", "us-east-1a"],
            port=11222, transit_encryption=TransitEncryption.DISABLED,
            vpc_subnets=ec2.SubnetSelection(availability_zones=["us-east-1a", "us-east-1b"]),
            security_groups=[own_sg], maintenance_window="sun:05:00-sun:06:00", cluster_name="pages-full",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        ),
        "Tuned": MemcachedCluster(stack, "Tuned", vpc=vpc, parameter_group=params, node_type=NodeType.C7GN_LARGE),
        "Single": MemcachedCluster(stack, "Single", vpc=vpc, nodes=1, node_type=NodeType.T4G_MICRO),
        "SingleAz": MemcachedCluster(stack, "SingleAz", vpc=vpc, nodes=2, az_mode=AzMode.SINGLE_AZ,
                                     preferred_availability_zones=["us-east-1c", "us-east-1c"]),
        "Old": MemcachedCluster(stack, "Old", vpc=vpc, engine_version=MEMCACHED_1_6_6),
        "Big": MemcachedCluster(stack, "Big", vpc=vpc, nodes=45, node_type=NodeType.T4G_SMALL),
    }
    clusters["Defaults"].connections.allow_default_port_from(clients, "web tier")
    clusters["Full"].connections.allow_default_port_from(clients, "web tier")
    for cluster in clusters.values():
        cluster.add_connection_outputs()
    imported = MemcachedCluster.from_cache_cluster_attributes(
        stack, "Existing", cache_cluster_id="legacy-pages", configuration_endpoint_address="legacy.cfg.example",
        port=11299, security_groups=[own_sg], transit_encryption=TransitEncryption.DISABLED,
    )
    imported.connections.allow_default_port_from(clients, "web tier")
    imported.add_connection_outputs("Legacy")
    annotations = Annotations.from_stack(stack)
    return {"stack": stack, "tmpl": Template.from_stack(stack).to_json(), "clusters": clusters, "own_sg": own_sg,
            "clients": clients, "params": params, "imported": imported, "annotations": annotations}


# --- defaults ----------------------------------------------------------------------------------------------
def test_defaults(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "Defaults")
    assert props["Engine"] == "memcached"
    assert props["EngineVersion"] == "1.6.22"
    assert props["CacheNodeType"] == "cache.m7g.large"
    assert props["NumCacheNodes"] == 2
    assert props["AZMode"] == "cross-az"
    assert props["Port"] == 11211
    assert props["TransitEncryptionEnabled"] is True
    assert props["CacheParameterGroupName"] == "default.memcached1.6"
    for absent in ("PreferredAvailabilityZones", "PreferredMaintenanceWindow", "ClusterName", "SnapshotRetentionLimit",
                   "SnapshotWindow", "AuthToken"):
        assert absent not in props
    cluster = _cluster(built["tmpl"], "Defaults")
    assert (cluster["DeletionPolicy"], cluster["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_default_subnet_group_and_security_group(built: dict[str, Any]) -> None:
    tmpl = built["tmpl"]
    props = _props(tmpl, "Defaults")
    (subnet_group_id,) = [k for k in _of_type(tmpl, "AWS::ElastiCache::SubnetGroup") if k.startswith("DefaultsSubnet")]
    assert props["CacheSubnetGroupName"] == {"Ref": subnet_group_id}
    assert len(tmpl["Resources"][subnet_group_id]["Properties"]["SubnetIds"]) == 3
    (sg_id,) = [k for k in _of_type(tmpl, "AWS::EC2::SecurityGroup") if k.startswith("DefaultsSecurityGroup")]
    assert props["VpcSecurityGroupIds"] == [{"Fn::GetAtt": [sg_id, "GroupId"]}]
    assert tmpl["Resources"][sg_id]["Properties"]["SecurityGroupEgress"][0]["Description"] == "Disallow all traffic"
    ingress = [r["Properties"] for r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").values()
               if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg_id, "GroupId"]}]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(11211, 11211)]


def test_one_node_defaults_to_single_az(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "Single")
    assert (props["NumCacheNodes"], props["AZMode"], props["CacheNodeType"]) == (1, "single-az", "cache.t4g.micro")


def test_tls_defaults_off_where_the_version_lacks_it(built: dict[str, Any]) -> None:
    assert "TransitEncryptionEnabled" not in _props(built["tmpl"], "Old")
    assert built["clusters"]["Old"].transit_encryption is TransitEncryption.DISABLED
    assert built["tmpl"]["Outputs"]["OldTls"]["Value"] == "false"


# --- every option ------------------------------------------------------------------------------------------
def test_full_options(built: dict[str, Any]) -> None:
    stack, tmpl = built["stack"], built["tmpl"]
    props = _props(tmpl, "Full")
    assert props["CacheNodeType"] == "cache.r7g.large"
    assert props["NumCacheNodes"] == 3
    assert props["EngineVersion"] == "1.6.17"
    assert props["AZMode"] == "cross-az"
    assert props["PreferredAvailabilityZones"] == ["us-east-1a", "us-east-1b", "us-east-1a"]
    assert props["Port"] == 11222
    assert "TransitEncryptionEnabled" not in props
    assert props["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert props["ClusterName"] == "pages-full"
    assert props["VpcSecurityGroupIds"] == [
        {"Fn::GetAtt": [stack.get_logical_id(built["own_sg"].node.default_child), "GroupId"]}
    ]
    assert not [k for k in _of_type(tmpl, "AWS::EC2::SecurityGroup") if k.startswith("FullSecurityGroup")]
    (subnet_group_id,) = [k for k in _of_type(tmpl, "AWS::ElastiCache::SubnetGroup") if k.startswith("FullSubnet")]
    assert len(tmpl["Resources"][subnet_group_id]["Properties"]["SubnetIds"]) == 2
    assert _cluster(tmpl, "Full")["DeletionPolicy"] == "Retain"
    ingress = [r["Properties"] for k, r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").items()
               if r["Properties"]["FromPort"] == 11222]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(11222, 11222)]


def test_parameter_group_of_the_memcached_family(built: dict[str, Any]) -> None:
    stack, tmpl = built["stack"], built["tmpl"]
    pg_id = stack.get_logical_id(built["params"].node.default_child)
    assert _props(tmpl, "Tuned")["CacheParameterGroupName"] == {"Ref": pg_id}
    assert tmpl["Resources"][pg_id]["Properties"]["CacheParameterGroupFamily"] == "memcached1.6"
    assert tmpl["Resources"][pg_id]["Properties"]["Properties"] == {"max_item_size": "2097152"}
    assert _props(tmpl, "Tuned")["CacheNodeType"] == "cache.c7gn.large"


def test_single_az_with_preferred_zone(built: dict[str, Any]) -> None:
    props = _props(built["tmpl"], "SingleAz")
    assert props["AZMode"] == "single-az"
    assert props["PreferredAvailabilityZones"] == ["us-east-1c", "us-east-1c"]


def test_more_nodes_than_the_default_quota_warns(built: dict[str, Any]) -> None:
    assert _props(built["tmpl"], "Big")["NumCacheNodes"] == 45
    built["annotations"].has_warning("/Test/Big", Match.string_like_regexp("quota of 40 nodes per Memcached cluster"))
    assert not built["annotations"].find_warning("/Test/Defaults", Match.any_value())


# --- outputs, metrics, import ----------------------------------------------------------------------------
def test_outputs_contract(built: dict[str, Any]) -> None:
    tmpl = built["tmpl"]
    outputs = tmpl["Outputs"]
    cluster_id = next(k for k in tmpl["Resources"] if re.fullmatch(r"Defaults[0-9A-F]{8}", k))
    assert outputs["DefaultsEngine"]["Value"] == "memcached"
    assert outputs["DefaultsResourceType"]["Value"] == "CacheCluster"
    assert outputs["DefaultsResourceId"]["Value"] == {"Ref": cluster_id}
    assert outputs["DefaultsEndpointAddress"]["Value"] == {"Fn::GetAtt": [cluster_id, "ConfigurationEndpoint.Address"]}
    assert outputs["DefaultsEndpointPort"]["Value"] == {"Fn::GetAtt": [cluster_id, "ConfigurationEndpoint.Port"]}
    assert outputs["DefaultsTls"]["Value"] == "true"
    assert outputs["DefaultsClusterMode"]["Value"] == "false"
    assert outputs["DefaultsAuthSecretArn"]["Value"] == "none"
    assert "DefaultsReaderEndpointAddress" not in outputs


def test_metric_dimensions_and_arn(built: dict[str, Any]) -> None:
    stack, tmpl = built["stack"], built["tmpl"]
    cluster = built["clusters"]["Full"]
    cluster_id = next(k for k in tmpl["Resources"] if re.fullmatch(r"Full[0-9A-F]{8}", k))
    assert stack.resolve(cluster.metric_dimensions()) == {"CacheClusterId": {"Ref": cluster_id}}
    arn = json.dumps(stack.resolve(cluster.cache_cluster_arn))
    assert ":elasticache:us-east-1:123456789012:cluster:" in arn and cluster_id in arn


def test_imported_cluster(built: dict[str, Any]) -> None:
    stack, tmpl = built["stack"], built["tmpl"]
    imported = built["imported"]
    assert imported.metric_dimensions() == {"CacheClusterId": "legacy-pages"}
    assert stack.resolve(imported.cache_cluster_arn) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":elasticache:us-east-1:123456789012:cluster:legacy-pages"]]
    }
    ingress = [r["Properties"] for r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").values()
               if r["Properties"]["FromPort"] == 11299]
    assert len(ingress) == 1
    outputs = tmpl["Outputs"]
    assert outputs["LegacyEndpointAddress"]["Value"] == "legacy.cfg.example"
    assert str(outputs["LegacyEndpointPort"]["Value"]) == "11299"  # Endpoint renders a literal port as a number
    assert outputs["LegacyResourceId"]["Value"] == "legacy-pages"
    assert outputs["LegacyTls"]["Value"] == "false"


# --- validation ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scope() -> dict[str, Any]:
    """A stack with a 3-AZ and a 1-AZ VPC, shared by the invalid-input cases (nothing is built on failure)."""
    stack = new_stack(id="Invalid")
    one_az = ec2.Vpc(stack, "OneAz", availability_zones=["us-east-1a"], nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    return {"stack": stack, "vpc": new_vpc(stack), "one_az": one_az}


Case = tuple[Callable[[dict[str, Any]], dict[str, Any]], str]
INVALID: dict[str, Case] = {
    **{
        f"unsupported {prop}": ((lambda p: lambda s: {p: 1})(prop), rf"{prop}: got 1; {re.escape(reason)}")
        for prop, reason in UNSUPPORTED_PROPERTIES.items()
    },
    "redis engine": (lambda s: {"engine_version": EngineVersion.VALKEY_8_1},
                     r"engine_version: got 'valkey 8.1'; MemcachedCluster runs memcached; use ReplicationGroup"),
    "engine type": (lambda s: {"engine_version": "1.6.22"},
                    r"engine_version: got '1.6.22'; pass an EngineVersion, e.g. EngineVersion.MEMCACHED_1_6_22"),
    "data tiering node": (lambda s: {"node_type": NodeType.R6GD_XLARGE},
                          r"node_type: got 'cache.r6gd.xlarge'; data-tiering node types \(r6gd\) run Valkey/Redis OSS"),
    "unknown node": (lambda s: {"node_type": "cache.m9z.large"}, r"node_type: got 'cache.m9z.large'"),
    "node type type": (lambda s: {"node_type": 3}, r"node_type: got 3; pass a NodeType"),
    "no nodes": (lambda s: {"nodes": 0}, r"nodes: got 0; must be from 1 to 60"),
    "too many nodes": (lambda s: {"nodes": 61}, r"nodes: got 61; must be from 1 to 60"),
    "nodes not whole": (lambda s: {"nodes": "2"}, r"nodes: got '2'; must be a whole number from 1 to 60"),
    "unknown az mode": (lambda s: {"az_mode": "multi-az"}, r"az_mode: got 'multi-az'; allowed: 'cross-az', 'single-az'"),
    "cross-az one node": (lambda s: {"nodes": 1, "az_mode": AzMode.CROSS_AZ},
                          r"az_mode: got 'cross-az'; cross-az needs at least 2 nodes \(nodes=1\)"),
    "az count": (lambda s: {"nodes": 3, "preferred_availability_zones": ["us-east-1a", "us-east-1b"]},
                 r"preferred_availability_zones: got \['us-east-1a', 'us-east-1b'\]; needs exactly one availability "
                 r"zone per node \(3\)"),
    "single-az spread": (lambda s: {"az_mode": "single-az", "preferred_availability_zones": ["us-east-1a", "us-east-1b"]},
                         r"preferred_availability_zones: got .*; single-az puts every node in one availability zone"),
    "cross-az one zone": (lambda s: {"preferred_availability_zones": ["us-east-1a", "us-east-1a"]},
                          r"preferred_availability_zones: got .*; cross-az needs at least 2 different availability"),
    "zone without subnet": (lambda s: {"preferred_availability_zones": ["us-east-1a", "us-east-1d"]},
                            r"preferred_availability_zones: got \['us-east-1d'\]; no subnet of vpc_subnets in these "
                            r"zones; subnets cover us-east-1a, us-east-1b, us-east-1c"),
    "cross-az one-az subnets": (lambda s: {"vpc": s["one_az"]},
                                r"vpc_subnets: got \['us-east-1a'\]; cross-az needs subnets in at least 2"),
    "tls preferred": (lambda s: {"transit_encryption": TransitEncryption.PREFERRED},
                      r"transit_encryption: got 'PREFERRED'; memcached has no mixed TLS mode; allowed: REQUIRED, "
                      r"DISABLED"),
    "tls on old version": (lambda s: {"engine_version": MEMCACHED_1_6_6,
                                      "transit_encryption": TransitEncryption.REQUIRED},
                           r"transit_encryption: got 'REQUIRED'; memcached 1.6.6 lacks in-transit encryption "
                           r"\(memcached 1.6.12\+\)"),
    "tls type": (lambda s: {"transit_encryption": True},
                 r"transit_encryption: got True; allowed: TransitEncryption.REQUIRED, TransitEncryption.DISABLED"),
    "port low": (lambda s: {"port": 0}, r"port: got 0; must be from 1 to 65535"),
    "port high": (lambda s: {"port": 70000}, r"port: got 70000; must be from 1 to 65535"),
    "redis parameter group": (
        lambda s: {"parameter_group": ParameterGroup.from_parameter_group_name(
            "default.valkey8", engine_version=EngineVersion.VALKEY_8_1)},
        r"parameter_group: got 'valkey8'; memcached 1.6.22 needs a parameter group of family 'memcached1.6'"),
    "parameter group type": (lambda s: {"parameter_group": "default.memcached1.6"},
                             r"parameter_group: got 'default.memcached1.6'; pass a ParameterGroup"),
    "maintenance window": (lambda s: {"maintenance_window": "sunday 5am"},
                           r"maintenance_window: got 'sunday 5am'; format is 'ddd:hh24:mi-ddd:hh24:mi'"),
    "name uppercase": (lambda s: {"cluster_name": "Pages"},
                       r"cluster_name: got 'Pages'; must be 1-50 lowercase letters, digits or hyphens"),
    "name too long": (lambda s: {"cluster_name": "p" * 51}, r"cluster_name: got 'p{51}'"),
    "name double hyphen": (lambda s: {"cluster_name": "pages--a"}, r"cluster_name: got 'pages--a'"),
    "name trailing hyphen": (lambda s: {"cluster_name": "pages-"}, r"cluster_name: got 'pages-'"),
    "removal snapshot": (lambda s: {"removal_policy": cdk.RemovalPolicy.SNAPSHOT},
                         r"removal_policy: got 'SNAPSHOT'; Memcached has no snapshots; allowed: DESTROY, RETAIN"),
    "no security groups": (lambda s: {"security_groups": []}, r"security_groups: got \[\]; pass at least one"),
}


@pytest.mark.parametrize(("make", "message"), list(INVALID.values()), ids=list(INVALID))
def test_invalid_input(scope: dict[str, Any], make: Callable[[dict[str, Any]], dict[str, Any]], message: str,
                       request: pytest.FixtureRequest) -> None:
    construct_id = "Bad" + re.sub(r"\W", "", request.node.callspec.id.title())
    kwargs = {"vpc": scope["vpc"], **make(scope)}
    with pytest.raises(ValidationError, match=message):
        MemcachedCluster(scope["stack"], construct_id, **kwargs)
    assert scope["stack"].node.try_find_child(construct_id) is None  # nothing half-built was left behind


def test_every_unsupported_property_is_covered() -> None:
    """Redis-only features the issue lists each have a named rejection."""
    for prop in ("replicas", "snapshot_retention_days", "authentication", "auth_token", "user_group",
                 "eviction_policy", "cluster_mode", "data_tiering", "global_datastore", "multi_az"):
        assert prop in UNSUPPORTED_PROPERTIES


def test_unknown_keyword_is_a_type_error(scope: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=r"MemcachedCluster\(\) got an unexpected keyword argument 'nodez'"):
        MemcachedCluster(scope["stack"], "Typo", vpc=scope["vpc"], nodez=3)


IMPORT_INVALID: dict[str, Case] = {
    "id uppercase": (lambda s: {"cache_cluster_id": "Legacy"}, r"cache_cluster_id: got 'Legacy'; must be 1-50"),
    "tls preferred": (lambda s: {"transit_encryption": TransitEncryption.PREFERRED},
                      r"transit_encryption: got 'PREFERRED'; memcached has no mixed TLS mode"),
    "port": (lambda s: {"port": 0}, r"port: got 0; must be from 1 to 65535"),
    "redis version": (lambda s: {"engine_version": EngineVersion.REDIS_7_1},
                      r"engine_version: got 'redis 7.1'; MemcachedCluster runs memcached"),
}


@pytest.mark.parametrize(("make", "message"), list(IMPORT_INVALID.values()), ids=list(IMPORT_INVALID))
def test_invalid_import(scope: dict[str, Any], make: Callable[[dict[str, Any]], dict[str, Any]], message: str) -> None:
    kwargs = {"cache_cluster_id": "legacy", "configuration_endpoint_address": "legacy.cfg.example", **make(scope)}
    with pytest.raises(ValidationError, match=message):
        MemcachedCluster.from_cache_cluster_attributes(scope["stack"], "BadImport", **kwargs)


# --- the stack -----------------------------------------------------------------------------------------------
def _build_app(app: cdk.App) -> None:
    app.node.set_context("@aws-cdk/core:defaultCrossStackReferences", "strong")  # as in cdk.json
    config = AppConfig.from_context(app.node)
    network = NetworkStack(app, "Network", config=config)
    PageCacheStack(app, "PageCache", config=config, vpc=network.vpc)


@pytest.fixture(scope="module")
def assembly() -> cdk.cx_api.CloudAssembly:
    """The page-cache stack synthesized once, with cdk-nag AwsSolutions (raises on unacknowledged errors)."""
    return synth_with_nag(_build_app)


def test_stack_template_has_no_cfn_lint_errors(assembly: cdk.cx_api.CloudAssembly) -> None:
    template = Path(assembly.directory) / assembly.get_stack_artifact("PageCache").template_file
    matches = lint_file(template, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_stack_passes_cdk_nag_and_cdk_validation_without_messages(assembly: cdk.cx_api.CloudAssembly) -> None:
    report = Path(assembly.directory) / "validation-report.json"
    if report.exists():
        reports = json.loads(report.read_text())["pluginReports"]
        assert [(r["pluginName"], r["violations"]) for r in reports if r["violations"]] == []
    assert [m.entry.data for m in assembly.get_stack_artifact("PageCache").messages] == []


def test_acknowledgements_are_needed_and_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its acknowledgement the stack fails cdk-nag (so the acknowledgement is not dead weight)."""
    import stacks.page_cache as page_cache

    for rule, reason in PAGE_CACHE_ACKNOWLEDGEMENTS.items():
        assert rule.startswith("AwsSolutions-") and len(reason) > 40
    monkeypatch.setattr(page_cache, "PAGE_CACHE_ACKNOWLEDGEMENTS", {})
    with pytest.raises(Exception, match="AwsSolutions-AEC5"):
        synth_with_nag(_build_app)


def test_stack_template_and_outputs(assembly: cdk.cx_api.CloudAssembly) -> None:
    tmpl = assembly.get_stack_artifact("PageCache").template
    (cluster,) = _of_type(tmpl, CC).values()
    props = cluster["Properties"]
    assert (props["Engine"], props["EngineVersion"], props["NumCacheNodes"], props["AZMode"]) == (
        "memcached", "1.6.22", 3, "cross-az")
    assert props["TransitEncryptionEnabled"] is True
    outputs = tmpl["Outputs"]
    for suffix in ("Engine", "ResourceType", "ResourceId", "EndpointAddress", "EndpointPort", "Tls", "ClusterMode",
                   "AuthSecretArn"):
        assert f"Pages{suffix}" in outputs
    assert outputs["PagesResourceType"]["Value"] == "CacheCluster"
    assert outputs["PagesAuthSecretArn"]["Value"] == "none"
    ingress = [r["Properties"] for r in _of_type(tmpl, "AWS::EC2::SecurityGroupIngress").values()]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(11211, 11211)]


def test_no_template_contains_a_plaintext_secret(assembly: cdk.cx_api.CloudAssembly, built: dict[str, Any]) -> None:
    """Memcached has nothing secret: no AUTH token, password or secret string appears in any template."""
    for tmpl in [built["tmpl"], *(s.template for s in assembly.stacks)]:
        text = json.dumps(tmpl)
        for key in ('"AuthToken"', '"Passwords"', '"SecretString"', '"Password"'):
            assert key not in text
