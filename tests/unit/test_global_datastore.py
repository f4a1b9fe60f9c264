"""GlobalDatastore: the global replication group, secondaries in other regions wired by cross-region references,
the stacks pair, and every validation rule."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.aws_elasticache_alpha import AccessControl, PasswordUser, UserGroup
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from elasticache_constructs import (
    Authentication,
    Durability,
    EngineVersion,
    GlobalDatastore,
    NodeType,
    ReplicationGroup,
    ShardedReplicationGroup,
    ValidationError,
)
from elasticache_constructs.global_datastore import MAX_SECONDARIES
from elasticache_constructs.network import NetworkType
from stacks.app_config import AppConfig
from stacks.global_datastore import add_global_datastore_stacks
from tests.unit.helpers import new_vpc

ACCOUNT = "123456789012"
CONTRACT = (
    "Engine",
    "ResourceType",
    "ResourceId",
    "EndpointAddress",
    "EndpointPort",
    "Tls",
    "ClusterMode",
    "AuthSecretArn",
)
#: Properties a secondary inherits from the global datastore and must not declare.
INHERITED = (
    "Engine",
    "EngineVersion",
    "CacheNodeType",
    "CacheParameterGroupName",
    "AuthToken",
    "UserGroupIds",
    "TransitEncryptionEnabled",
    "TransitEncryptionMode",
    "AtRestEncryptionEnabled",
    "NumNodeGroups",
    "NodeGroupConfiguration",
    "ClusterMode",
    "DataTieringEnabled",
    "AutomaticFailoverEnabled",
)


def regional_stack(app: cdk.App, id: str, region: str, account: str = ACCOUNT) -> cdk.Stack:
    return cdk.Stack(app, id, env=cdk.Environment(account=account, region=region), cross_region_references=True)


def flow_logged_vpc(stack: cdk.Stack) -> ec2.Vpc:
    vpc = new_vpc(stack)
    vpc.add_flow_log("FlowLog")
    return vpc


def acknowledge_secret_rotation(group: Any) -> None:
    cdk.Validations.of(group).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-SMG4", reason="AUTH token rotation is an operator runbook step (test)")
    )


def resources_of(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only_props(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = resources_of(template, type_)
    assert len(found) == 1, list(found)
    return dict(next(iter(found.values()))["Properties"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two global datastores (cluster mode disabled and enabled), three secondaries; cdk-nag enforced; one synth."""
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    primary = regional_stack(app, "Primary", "us-east-1")
    eu = regional_stack(app, "Eu", "eu-west-1")
    ap = regional_stack(app, "Ap", "ap-southeast-2")
    group = ReplicationGroup(primary, "Cache", vpc=flow_logged_vpc(primary), replicas=2, node_type=NodeType.R7G_LARGE)
    acknowledge_secret_rotation(group)
    datastore = GlobalDatastore(primary, "Global", primary=group, global_replication_group_id_suffix="sessions")
    eu_vpc = flow_logged_vpc(eu)
    eu_key = kms.Key(eu, "Key", enable_key_rotation=True)
    eu_secondary = datastore.add_secondary(eu, "Cache", vpc=eu_vpc, kms_key=eu_key)
    eu_secondary.add_connection_outputs()
    ap_secondary = datastore.add_secondary(
        ap, "Cache", vpc=flow_logged_vpc(ap), replicas=0, replication_group_id="sessions-ap"
    )
    ap_secondary.add_connection_outputs()
    cdk.Validations.of(ap_secondary).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions-AEC4", reason="Exercises a secondary without replicas (Multi-AZ off) on purpose"
        )
    )

    sharded_primary = regional_stack(app, "ShardedPrimary", "us-west-2")
    sharded_eu = regional_stack(app, "ShardedEu", "eu-central-1")
    sharded = ShardedReplicationGroup(
        sharded_primary,
        "Board",
        vpc=flow_logged_vpc(sharded_primary),
        shards=2,
        replicas_per_shard=1,
        engine_version=EngineVersion.REDIS_7_1,
        authentication=Authentication.none(),
        port=6380,
    )
    cdk.Validations.of(sharded_primary).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions-AEC6", reason="Exercises a global datastore whose primary has no AUTH on purpose"
        )
    )
    sharded_datastore = GlobalDatastore(sharded_primary, "Global", primary=sharded)
    sharded_secondary = sharded_datastore.add_secondary(
        sharded_eu, "Board", vpc=flow_logged_vpc(sharded_eu), replicas=2
    )
    sharded_secondary.add_connection_outputs()
    cdk.Validations.of(sharded_eu).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions-AEC6", reason="Exercises a global datastore whose primary has no AUTH on purpose"
        )
    )

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises on any unacknowledged cdk-nag error
    return {
        "assembly": assembly,
        "t": {s.stack_name: s.template for s in assembly.stacks},
        "datastore": datastore,
        "eu_secondary": eu_secondary,
        "sharded_secondary": sharded_secondary,
    }


def _writer_exports(template: dict[str, Any]) -> dict[str, Any]:
    writers = resources_of(template, "Custom::CrossRegionExportWriter")
    exports: dict[str, Any] = {}
    for w in writers.values():
        exports.update(w["Properties"]["WriterProps"]["exports"])
    return exports


def test_global_replication_group_has_only_the_primary_as_member(built: dict[str, Any]) -> None:
    t = built["t"]["Primary"]
    p = only_props(t, "AWS::ElastiCache::GlobalReplicationGroup")
    (rg_logical,) = resources_of(t, "AWS::ElastiCache::ReplicationGroup")
    assert p["Members"] == [
        {"ReplicationGroupId": {"Ref": rg_logical}, "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY"}
    ]
    assert p["GlobalReplicationGroupIdSuffix"] == "sessions"
    # Node type, engine version, failover, parameter group: modification settings, inherited at creation.
    assert not {"CacheNodeType", "EngineVersion", "AutomaticFailoverEnabled", "CacheParameterGroupName"} & set(p)


def test_default_suffix_is_derived_from_the_path(built: dict[str, Any]) -> None:
    p = only_props(built["t"]["ShardedPrimary"], "AWS::ElastiCache::GlobalReplicationGroup")
    assert re.fullmatch(r"shardedprimary-global-[0-9a-f]{8}", p["GlobalReplicationGroupIdSuffix"])


def test_secondary_reads_the_datastore_id_cross_region_without_hard_coded_names(built: dict[str, Any]) -> None:
    primary, eu = built["t"]["Primary"], built["t"]["Eu"]
    (grg_logical,) = resources_of(primary, "AWS::ElastiCache::GlobalReplicationGroup")
    p = only_props(eu, "AWS::ElastiCache::ReplicationGroup")
    reader_logical, param = p["GlobalReplicationGroupId"]["Fn::GetAtt"]
    assert eu["Resources"][reader_logical]["Type"] == "Custom::CrossRegionExportReader"
    # The primary stack writes that SSM parameter (in eu-west-1) from the datastore's GetAtt.
    assert _writer_exports(primary)[param] == {"Fn::GetAtt": [grg_logical, "GlobalReplicationGroupId"]}
    writer = next(iter(resources_of(primary, "Custom::CrossRegionExportWriter").values()))
    assert writer["Properties"]["WriterProps"]["region"] in ("eu-west-1", "ap-southeast-2")
    assert "sessions" not in json.dumps(eu), "the secondary must not hard-code the datastore's name"
    assert (
        built["datastore"].global_replication_group_id == built["datastore"].resource.attr_global_replication_group_id
    )


def test_secondary_stacks_depend_on_the_primary(built: dict[str, Any]) -> None:
    deps = {s.stack_name: {d.id for d in s.dependencies} for s in built["assembly"].stacks}
    assert "Primary" in deps["Eu"] and "Primary" in deps["Ap"]
    assert "ShardedPrimary" in deps["ShardedEu"]
    assert "Eu" not in deps["Primary"]


def test_secondary_declares_no_inherited_setting(built: dict[str, Any]) -> None:
    for stack in ("Eu", "Ap", "ShardedEu"):
        p = only_props(built["t"][stack], "AWS::ElastiCache::ReplicationGroup")
        assert not set(INHERITED) & set(p), (stack, set(INHERITED) & set(p))


def test_secondary_topology_network_and_key(built: dict[str, Any]) -> None:
    t = built["t"]
    eu = only_props(t["Eu"], "AWS::ElastiCache::ReplicationGroup")
    assert eu["NumCacheClusters"] == 3 and eu["MultiAZEnabled"] is True and eu["Port"] == 6379
    (key_logical,) = resources_of(t["Eu"], "AWS::KMS::Key")
    assert eu["KmsKeyId"] == {"Fn::GetAtt": [key_logical, "Arn"]}
    (subnet_group,) = resources_of(t["Eu"], "AWS::ElastiCache::SubnetGroup")
    assert eu["CacheSubnetGroupName"] == {"Ref": subnet_group}
    sg = only_props(t["Eu"], "AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in sg
    ap = only_props(t["Ap"], "AWS::ElastiCache::ReplicationGroup")
    assert ap["NumCacheClusters"] == 1 and ap["MultiAZEnabled"] is False and ap["ReplicationGroupId"] == "sessions-ap"
    assert "KmsKeyId" not in ap
    sharded = only_props(t["ShardedEu"], "AWS::ElastiCache::ReplicationGroup")
    assert sharded["ReplicasPerNodeGroup"] == 2 and "NumCacheClusters" not in sharded


def test_secondary_is_removed_without_snapshot_by_default(built: dict[str, Any]) -> None:
    (rg,) = resources_of(built["t"]["Eu"], "AWS::ElastiCache::ReplicationGroup").values()
    assert rg["DeletionPolicy"] == "Delete"


def test_secondary_outputs_follow_the_contract(built: dict[str, Any]) -> None:
    outputs = built["t"]["Eu"]["Outputs"]
    assert {f"Cache{s}" for s in CONTRACT} | {"CacheReaderEndpointAddress", "CacheReaderEndpointPort"} <= set(outputs)
    (rg_logical,) = resources_of(built["t"]["Eu"], "AWS::ElastiCache::ReplicationGroup")
    assert outputs["CacheEngine"]["Value"] == "valkey"
    assert outputs["CacheTls"]["Value"] == "true" and outputs["CacheClusterMode"]["Value"] == "false"
    assert outputs["CacheResourceId"]["Value"] == {"Ref": rg_logical}
    assert outputs["CacheEndpointAddress"]["Value"] == {"Fn::GetAtt": [rg_logical, "PrimaryEndPoint.Address"]}
    sharded = built["t"]["ShardedEu"]["Outputs"]
    assert sharded["BoardEngine"]["Value"] == "redis" and sharded["BoardClusterMode"]["Value"] == "true"
    assert sharded["BoardAuthSecretArn"]["Value"] == "none"
    assert "BoardReaderEndpointAddress" not in sharded


def test_auth_token_secret_is_replicated_to_each_secondary_region(built: dict[str, Any]) -> None:
    secret = only_props(built["t"]["Primary"], "AWS::SecretsManager::Secret")
    assert secret["ReplicaRegions"] == [{"Region": "eu-west-1"}, {"Region": "ap-southeast-2"}]
    arn = built["t"]["Eu"]["Outputs"]["CacheAuthSecretArn"]["Value"]["Fn::Join"]
    assert arn[0] == ":" and arn[1][3] == "eu-west-1", "the replica's ARN is the primary's with the region replaced"
    assert [p["Fn::Select"][0] for i, p in enumerate(arn[1]) if i != 3] == [0, 1, 2, 4, 5, 6]


def test_secondary_connections_default_to_the_port_and_grant_connect_needs_iam(built: dict[str, Any]) -> None:
    secondary = built["eu_secondary"]
    assert secondary.cluster_mode is False and secondary.region == "eu-west-1"
    with pytest.raises(ValidationError, match="no user group; IAM authentication needs"):
        secondary.grant_connect(iam.AnyPrincipal())


def test_imported_secret_primary_keeps_its_secret() -> None:
    app = cdk.App()
    primary, eu = regional_stack(app, "P", "us-east-1"), regional_stack(app, "E", "eu-west-1")
    existing = secretsmanager.Secret.from_secret_complete_arn(
        primary, "Existing", "arn:aws:secretsmanager:us-east-1:123456789012:secret:cache-token-AbCdEf"
    )
    vpc = new_vpc(primary)
    group = ReplicationGroup(primary, "Cache", vpc=vpc, authentication=Authentication.token_from_secret(existing))
    secondary = GlobalDatastore(primary, "Global", primary=group).add_secondary(eu, "Cache", vpc=new_vpc(eu))
    assert secondary.auth_secret is existing
    given = secretsmanager.Secret.from_secret_complete_arn(
        eu, "Given", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cache-token-AbCdEf"
    )
    ap = regional_stack(app, "A", "ap-northeast-1")
    other = GlobalDatastore(primary, "Other", primary=ReplicationGroup(primary, "Cache2", vpc=vpc))
    assert other.add_secondary(ap, "Cache", vpc=new_vpc(ap), auth_secret=given).auth_secret is given


def test_global_datastore_stacks_pair(tmp_path: Path) -> None:
    """The app's stacks: regions, own networks, outputs, dependency, cdk-nag, cfn-lint, CDK validation."""
    app = cdk.App(outdir=str(tmp_path))
    primary, secondary = add_global_datastore_stacks(app, AppConfig.from_context(app.node))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    assert (primary.region, secondary.region) == ("us-east-1", "eu-west-1")
    stacks = {s.stack_name: s for s in assembly.stacks}
    assert "ElastiCacheGlobalPrimary" in {d.id for d in stacks["ElastiCacheGlobalSecondary"].dependencies}
    for name, s in stacks.items():
        t = s.template
        assert len(resources_of(t, "AWS::EC2::VPC")) == 1 and len(resources_of(t, "AWS::EC2::FlowLog")) == 1, name
        assert {f"Cache{x}" for x in CONTRACT} | {"GlobalDatastoreId"} <= set(t["Outputs"]), name
        errors = [
            str(m)
            for m in lint_file(
                Path(assembly.directory) / s.template_file, config=ManualArgs(regions=[s.environment.region])
            )
            if m.rule.id.startswith("E")
        ]
        assert errors == [], name
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    notes = [
        e["data"]
        for a in manifest["artifacts"].values()
        for es in a.get("metadata", {}).values()
        for e in es
        if e["type"] in ("aws:cdk:warning", "aws:cdk:error")
    ]
    assert notes == []
    report = Path(assembly.directory) / "validation-report.json"
    assert not report.exists() or json.loads(report.read_text())["pluginReports"] == []


def test_global_datastore_stacks_regions_from_context() -> None:
    app = cdk.App(context={"global_primary_region": "us-west-2", "global_secondary_region": "ap-southeast-1"})
    primary, secondary = add_global_datastore_stacks(app, AppConfig.from_context(app.node))
    assert (primary.region, secondary.region) == ("us-west-2", "ap-southeast-1")
    assert primary.account == secondary.account == ACCOUNT


# --- validation ----------------------------------------------------------------------------------------------
def _scene(primary_region: str = "us-east-1", **group_kwargs: Any) -> dict[str, Any]:
    app = cdk.App()
    primary = regional_stack(app, "P", primary_region)
    vpc = new_vpc(primary)
    group = ReplicationGroup(primary, "Cache", vpc=vpc, **group_kwargs)
    return {"app": app, "primary": primary, "group": group, "vpc": vpc}


def _sharded_scene(**group_kwargs: Any) -> dict[str, Any]:
    app = cdk.App()
    primary = regional_stack(app, "P", "us-east-1")
    vpc = new_vpc(primary)
    group = ShardedReplicationGroup(primary, "Cache", vpc=vpc, engine_version=EngineVersion.VALKEY_9_0, **group_kwargs)
    return {"app": app, "primary": primary, "group": group, "vpc": vpc}


def _imported_vpc_scene(**group_kwargs: Any) -> dict[str, Any]:
    """A primary in an imported VPC (subnet IP kinds unknown, so any network type synthesizes)."""
    app = cdk.App()
    primary = regional_stack(app, "P", "us-east-1")
    vpc = ec2.Vpc.from_vpc_attributes(primary, "Vpc", vpc_id="vpc-1", availability_zones=["us-east-1a", "us-east-1b"],
                                      isolated_subnet_ids=["subnet-a", "subnet-b"])
    group = ReplicationGroup(primary, "Cache", vpc=vpc, **group_kwargs)
    return {"app": app, "primary": primary, "group": group, "vpc": vpc}


def _datastore(s: dict[str, Any], **kwargs: Any) -> GlobalDatastore:
    return GlobalDatastore(s["primary"], "Global", primary=s["group"], **kwargs)


def _secondary(s: dict[str, Any], region: str, id: str = "E", **kwargs: Any) -> Any:
    stack = regional_stack(s["app"], id, region)
    ds = s.get("ds") or _datastore(s)
    s["ds"] = ds
    kwargs.setdefault("vpc", new_vpc(stack))
    return ds.add_secondary(stack, "Cache", **kwargs)


def _rbac_group(s: dict[str, Any]) -> Authentication:
    user = PasswordUser(
        s["primary"],
        "Default",
        user_id="app-default",
        user_name="default",
        access_control=AccessControl.from_access_string("off -@all"),
        passwords=[cdk.SecretValue.unsafe_plain_text("x" * 20)],
    )
    return Authentication.user_group(UserGroup(s["primary"], "Users", users=[user]))


def _three_secondaries() -> None:
    s = _scene()
    for i, region in enumerate(("eu-west-1", "eu-central-1", "ap-south-1")):
        _secondary(s, region, id=f"S{i}")


def _duplicate_region() -> None:
    s = _scene()
    _secondary(s, "eu-west-1", id="S1")
    _secondary(s, "eu-west-1", id="S2")


def _agnostic_primary() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "P")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=["us-east-1a", "us-east-1b"],
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    GlobalDatastore(stack, "Global", primary=ReplicationGroup(stack, "Cache", vpc=vpc))


def _agnostic_secondary() -> None:
    s = _scene()
    stack = cdk.Stack(s["app"], "E", cross_region_references=True)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    _datastore(s).add_secondary(stack, "Cache", vpc=vpc)


def _other_account() -> None:
    s = _scene()
    stack = regional_stack(s["app"], "E", "eu-west-1", account="210987654321")
    _datastore(s).add_secondary(stack, "Cache", vpc=new_vpc(stack))


def _datastore_in_other_region() -> None:
    s = _scene()
    other = regional_stack(s["app"], "O", "us-west-2")
    GlobalDatastore(other, "Global", primary=s["group"])


def _vpc_of_other_region() -> None:
    s = _scene()
    _secondary(s, "eu-west-1", vpc=_vpc_in(s, "us-east-1"))


def _user_group_primary() -> None:
    s = _scene()
    group = ReplicationGroup(s["primary"], "Rbac", vpc=s["vpc"], authentication=_rbac_group(s))
    GlobalDatastore(s["primary"], "Global", primary=group)


def _vpc_in(s: dict[str, Any], region: str) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        regional_stack(s["app"], f"Net{region.replace('-', '')}", region),
        "Vpc",
        vpc_id="vpc-1234",
        availability_zones=[f"{region}a", f"{region}b"],
        isolated_subnet_ids=["subnet-1", "subnet-2"],
    )


def _key_of_other_region() -> None:
    s = _scene()
    key = kms.Key.from_key_arn(s["primary"], "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef")
    _secondary(s, "eu-west-1", kms_key=key)


def _imported_primary() -> None:
    app = cdk.App()
    stack = regional_stack(app, "P", "us-east-1")
    group = ReplicationGroup.from_replication_group_attributes(
        stack, "Imp", replication_group_id="existing", endpoint_address="existing.example.com"
    )
    GlobalDatastore(stack, "Global", primary=group)


INVALID: list[tuple[str, Any, str]] = [
    (
        "same region",
        lambda: _secondary(_scene(), "us-east-1"),
        r"scope: got 'us-east-1'; a secondary must be in another region than the primary \(us-east-1\)",
    ),
    (
        "third secondary",
        _three_secondaries,
        rf"add_secondary: got 3; a global datastore has at most {MAX_SECONDARIES} secondary regions",
    ),
    (
        "region twice",
        _duplicate_region,
        r"scope: got 'eu-west-1'; this global datastore already has a secondary in that region",
    ),
    ("env-agnostic primary", _agnostic_primary, r"primary: got 'P'; a global datastore needs stacks with a concrete"),
    ("env-agnostic secondary", _agnostic_secondary, r"scope: got 'E'; a global datastore needs stacks with a concrete"),
    ("other account", _other_account, r"scope: got '210987654321'; a global datastore stays in one account"),
    (
        "datastore in other region",
        _datastore_in_other_region,
        r"scope: got 'us-west-2'; create the GlobalDatastore in the primary's region \(us-east-1\)",
    ),
    (
        "China with commercial",
        lambda: _secondary(_scene("cn-north-1"), "ap-east-1"),
        r"scope: got 'ap-east-1'; China regions replicate only between cn-north-1 and cn-northwest-1",
    ),
    (
        "commercial with China",
        lambda: _secondary(_scene("ap-east-1"), "cn-northwest-1"),
        r"scope: got 'cn-northwest-1'; China regions replicate only between",
    ),
    (
        "burstable node",
        lambda: _datastore(_scene(node_type=NodeType.T4G_MEDIUM)),
        r"primary: got 'node type cache.t4g.medium'; Global Datastore needs one of the node families .*r7g",
    ),
    (
        "previous-generation node",
        lambda: _datastore(_scene(node_type="cache.r4.large")),
        r"primary: got 'node type cache.r4.large'; Global Datastore needs one of the node families c7gn, m5, m6g, "
        r"m7g, r5, r6g, r6gd, r7g \(large and up\)",
    ),
    (
        "IPv6-only primary",
        lambda: _datastore(_imported_vpc_scene(network_type=NetworkType.IPV6)),
        r"primary: got 'network_type ipv6'; global datastores do not support IPv6-only groups",
    ),
    (
        "durable primary",
        lambda: _datastore(_sharded_scene(durability=Durability.ASYNC)),
        r"primary: got 'durability async'; durable groups cannot join a global datastore",
    ),
    (
        "old redis",
        lambda: _datastore(_scene(engine_version=EngineVersion.of("redis", "5.0.5"))),
        r"primary: got 'redis 5.0.5'; Global Datastore needs valkey or redis 5.0.6\+",
    ),
    (
        "user group primary",
        _user_group_primary,
        r"primary: got 'authentication user_group'; GlobalDatastore supports AUTH-token or no authentication",
    ),
    (
        "imported primary",
        _imported_primary,
        r"primary: got '_ImportedReplicationGroup'; pass a ReplicationGroup or ShardedReplicationGroup defined",
    ),
    (
        "bad suffix",
        lambda: _datastore(_scene(), global_replication_group_id_suffix="my_store"),
        r"global_replication_group_id_suffix: got 'my_store'; must be 1-40 letters, digits or single hyphens",
    ),
    (
        "trailing hyphen suffix",
        lambda: _datastore(_scene(), global_replication_group_id_suffix="store-"),
        r"global_replication_group_id_suffix: got 'store-'",
    ),
    (
        "too many replicas",
        lambda: _secondary(_scene(), "eu-west-1", replicas=6),
        r"replicas: got 6; must be from 0 to 5",
    ),
    (
        "multi-az without replica",
        lambda: _secondary(_scene(), "eu-west-1", replicas=0, multi_az=True),
        r"multi_az: got True; Multi-AZ needs at least one replica",
    ),
    (
        "vpc of other region",
        _vpc_of_other_region,
        r"vpc: got 'us-east-1'; the secondary's VPC must be in its region \(eu-west-1\)",
    ),
    (
        "key of other region",
        _key_of_other_region,
        r"kms_key: got 'us-east-1'; the secondary's key must be in its region \(eu-west-1\)",
    ),
    (
        "secret not ISecret",
        lambda: _secondary(_scene(), "eu-west-1", auth_secret="arn:aws:secretsmanager:x"),
        r"auth_secret: got 'arn:aws:secretsmanager:x'; pass a secretsmanager.ISecret",
    ),
    (
        "bad secondary id",
        lambda: _secondary(_scene(), "eu-west-1", replication_group_id="Bad_Id"),
        r"replication_group_id: got 'Bad_Id'",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_global_datastores(case: str, build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_secondary_metrics_name_its_member_clusters(built: dict[str, Any]) -> None:
    eu, sharded = built["eu_secondary"], built["sharded_secondary"]
    (eu_logical,) = resources_of(built["t"]["Eu"], "AWS::ElastiCache::ReplicationGroup")
    resolved = [cdk.Stack.of(eu).resolve(m) for m in eu.member_cluster_ids()]
    assert resolved == [{"Fn::Join": ["", [{"Ref": eu_logical}, f"-00{n}"]]} for n in (1, 2, 3)]
    sharded_ids = [cdk.Stack.of(sharded).resolve(m)["Fn::Join"][1][1] for m in sharded.member_cluster_ids()]
    assert sharded_ids == [f"-000{s}-00{n}" for s in (1, 2) for n in (1, 2, 3)]
    assert eu.metric_cache_hit_rate() is not None


@pytest.mark.parametrize(
    "node_type",
    # "Global datastores are supported on the following instance families in size large and above: M5, M6g, M7g,
    # R5, R6g, R6gd, R7g, and C7gn." (Prerequisites and limitations) -- c7gn was refused before (a false refusal).
    [NodeType.C7GN_LARGE, NodeType.M5_LARGE, NodeType.M6G_LARGE, NodeType.M7G_LARGE, NodeType.R5_LARGE,
     NodeType.R6G_LARGE, NodeType.R7G_16XLARGE],
    ids=lambda n: n.name,
)
def test_every_documented_family_can_be_a_primary(node_type: NodeType) -> None:
    ds = _datastore(_scene(node_type=node_type))
    assert ds.primary.node_type is node_type


def test_data_tiering_primary_and_valkey_9_are_accepted() -> None:
    assert _datastore(_scene(node_type=NodeType.R6GD_XLARGE, data_tiering=True)).primary.node_type.data_tiering
    assert _datastore(_sharded_scene(durability=Durability.DISABLED)).primary.engine_version.family == "valkey9"


def test_dual_stack_primary_is_accepted() -> None:
    # only IPv6-only groups are refused ("Global datastores don't support IPv6"); dual stack keeps IPv4
    ds = _datastore(_imported_vpc_scene(network_type=NetworkType.DUAL_STACK))
    assert ds.primary.network_type is NetworkType.DUAL_STACK
