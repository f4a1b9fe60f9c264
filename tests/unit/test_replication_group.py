"""ReplicationGroup and ShardedReplicationGroup: template assertions for every option, and every validation rule."""

from __future__ import annotations

import itertools
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template
from aws_cdk.aws_elasticache_alpha import (
    AccessControl,
    NoPasswordUser,
    UserEngine,
    UserGroup,
)

from elasticache_constructs import (
    Authentication,
    EngineVersion,
    EvictionPolicy,
    NodeType,
    ParameterGroup,
    ReplicationGroup,
    ShardedReplicationGroup,
    TransitEncryption,
    ValidationError,
    even_slot_ranges,
)

from .helpers import new_stack, new_vpc

RG = "AWS::ElastiCache::ReplicationGroup"


def _rg_props(tmpl: Template, construct_id: str) -> dict[str, Any]:
    for logical_id, res in tmpl.find_resources(RG).items():
        if logical_id.startswith(construct_id):
            return dict(res["Properties"])
    raise AssertionError(f"no replication group {construct_id}")


def _rg(tmpl: Template, construct_id: str) -> dict[str, Any]:
    for logical_id, res in tmpl.find_resources(RG).items():
        if logical_id.startswith(construct_id):
            return dict(res)
    raise AssertionError(f"no replication group {construct_id}")


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """One stack holding groups that exercise every option; synthesized once."""
    stack = new_stack()
    vpc = new_vpc(stack)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    existing_secret = secretsmanager.Secret(stack, "Existing")
    user = NoPasswordUser(stack, "DefaultUser", user_id="app-default", user_name="default",
                          access_control=AccessControl.from_access_string("on ~* +@all"))
    group = UserGroup(stack, "Users", engine=UserEngine.REDIS, users=[user])
    app_sg = ec2.SecurityGroup(stack, "AppSg", vpc=vpc)
    own_sg = ec2.SecurityGroup(stack, "OwnSg", vpc=vpc)
    pg = ParameterGroup(stack, "Params", engine_version=EngineVersion.REDIS_7_1,
                        eviction_policy=EvictionPolicy.ALLKEYS_LFU, parameters={"maxmemory-samples": "10"})
    groups: dict[str, Any] = {
        "Defaults": ReplicationGroup(stack, "Defaults", vpc=vpc),
        "Sessions": ReplicationGroup(stack, "Sessions", vpc=vpc, engine_version=EngineVersion.VALKEY_8_1,
                                     node_type=NodeType.R7G_LARGE, replicas=2,
                                     eviction_policy=EvictionPolicy.VOLATILE_LRU),
        "Single": ReplicationGroup(stack, "Single", vpc=vpc, replicas=0, node_type="cache.t4g.micro",
                                   authentication=Authentication.none(),
                                   transit_encryption=TransitEncryption.DISABLED,
                                   removal_policy=cdk.RemovalPolicy.DESTROY, snapshot_retention_days=0),
        "Tuned": ReplicationGroup(stack, "Tuned", vpc=vpc, engine_version=EngineVersion.REDIS_7_1,
                                  parameter_group=pg, kms_key=key, port=6380,
                                  vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                                  security_groups=[own_sg], multi_az=False, snapshot_retention_days=7,
                                  snapshot_window="03:00-04:00", maintenance_window="sun:05:00-sun:06:00",
                                  auto_minor_version_upgrade=False, replication_group_id="tuned-cache",
                                  description="tuned group",
                                  authentication=Authentication.token_from_secret(existing_secret,
                                                                                  json_field="token")),
        "Tiered": ReplicationGroup(stack, "Tiered", vpc=vpc, node_type=NodeType.R6GD_XLARGE, data_tiering=True,
                                   transit_encryption=TransitEncryption.PREFERRED),
        "Rbac": ReplicationGroup(stack, "Rbac", vpc=vpc, authentication=Authentication.user_group(group)),
        "Old": ReplicationGroup(stack, "Old", vpc=vpc, engine_version=EngineVersion.REDIS_6_2),
        "Board": ShardedReplicationGroup(stack, "Board", vpc=vpc, shards=3, replicas_per_shard=1,
                                         eviction_policy=EvictionPolicy.NOEVICTION),
        "Slotted": ShardedReplicationGroup(stack, "Slotted", vpc=vpc, shards=2, replicas_per_shard=0,
                                           slot_ranges=["0-999", "1000-16383"]),
        "ShardDefaults": ShardedReplicationGroup(stack, "ShardDefaults", vpc=vpc),
    }
    groups["Sessions"].connections.allow_default_port_from(app_sg)
    groups["Sessions"].add_connection_outputs()
    groups["Board"].add_connection_outputs("Lb")
    imported = ReplicationGroup.from_replication_group_attributes(
        stack, "Imported", replication_group_id="legacy-cache", endpoint_address="legacy.example.internal",
        port=6379, security_groups=[own_sg])
    imported.connections.allow_default_port_from(app_sg)
    return {"stack": stack, "t": Template.from_stack(stack), "groups": groups, "imported": imported}


def test_defaults_are_secure(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Defaults")
    assert p["Engine"] == "valkey" and p["EngineVersion"] == "8.1"
    assert p["CacheNodeType"] == "cache.r7g.large"
    assert p["NumCacheClusters"] == 2  # 1 replica
    assert p["AtRestEncryptionEnabled"] is True
    assert p["TransitEncryptionEnabled"] is True and p["TransitEncryptionMode"] == "required"
    assert p["MultiAZEnabled"] is True and p["AutomaticFailoverEnabled"] is True
    assert "{{resolve:secretsmanager:" in str(p["AuthToken"])
    assert p["SnapshotRetentionLimit"] == 1
    assert p["Port"] == 6379
    assert p["CacheParameterGroupName"] == "default.valkey8"
    assert p["AutoMinorVersionUpgrade"] is True
    assert "ReplicationGroupId" not in p and "KmsKeyId" not in p and "DataTieringEnabled" not in p
    res = _rg(built["t"], "Defaults")
    assert res["DeletionPolicy"] == "Snapshot" and res["UpdateReplacePolicy"] == "Snapshot"


def test_default_security_group_has_no_ingress_and_no_egress(built: dict[str, Any]) -> None:
    sgs = built["t"].find_resources("AWS::EC2::SecurityGroup")
    sg = next(v for k, v in sgs.items() if k.startswith("DefaultsSecurityGroup"))
    assert "SecurityGroupIngress" not in sg["Properties"]
    egress = sg["Properties"]["SecurityGroupEgress"]
    assert egress == [Match.object_like({"CidrIp": "255.255.255.255/32", "IpProtocol": "icmp"})] or (
        len(egress) == 1 and egress[0]["CidrIp"] == "255.255.255.255/32")  # CDK's "no egress" placeholder rule


def test_connections_grant_only_the_cache_port_from_the_client_group(built: dict[str, Any]) -> None:
    built["t"].has_resource_properties("AWS::EC2::SecurityGroupIngress", {
        "IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379,
        "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("^SessionsSecurityGroup"), "GroupId"]},
        "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("^AppSg"), "GroupId"]},
    })


def test_main_child_is_resource_and_secret_is_a_child(built: dict[str, Any]) -> None:
    g = built["groups"]["Sessions"]
    assert g.node.default_child is g.resource
    assert g.resource.node.id == "Resource"
    assert g.auth_secret is not None and g.auth_secret.node.id == "AuthToken"


def test_session_store_example(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Sessions")
    assert p["NumCacheClusters"] == 3
    built["t"].has_resource_properties("AWS::ElastiCache::ParameterGroup", {
        "CacheParameterGroupFamily": "valkey8", "Properties": {"maxmemory-policy": "volatile-lru"}})
    assert p["CacheParameterGroupName"]["Ref"].startswith("SessionsParameterGroup")
    assert built["groups"]["Sessions"].eviction_policy is EvictionPolicy.VOLATILE_LRU


def test_endpoints_are_getatts(built: dict[str, Any]) -> None:
    stack = built["stack"]
    s = built["groups"]["Sessions"]
    assert stack.resolve(s.primary_endpoint.hostname)["Fn::GetAtt"][1] == "PrimaryEndPoint.Address"
    assert stack.resolve(s.reader_endpoint.hostname)["Fn::GetAtt"][1] == "ReaderEndPoint.Address"
    assert stack.resolve(s.primary_endpoint.port_as_string)["Fn::GetAtt"][1] == "PrimaryEndPoint.Port"
    b = built["groups"]["Board"]
    assert stack.resolve(b.configuration_endpoint.hostname)["Fn::GetAtt"][1] == "ConfigurationEndPoint.Address"


def test_every_option_reaches_the_template(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Tuned")
    assert p["Engine"] == "redis" and p["EngineVersion"] == "7.1"
    assert p["CacheParameterGroupName"]["Ref"].startswith("Params")
    assert p["KmsKeyId"]["Fn::GetAtt"][0].startswith("Key") and p["KmsKeyId"]["Fn::GetAtt"][1] == "Arn"
    assert p["Port"] == 6380
    assert p["SecurityGroupIds"] == [{"Fn::GetAtt": [p["SecurityGroupIds"][0]["Fn::GetAtt"][0], "GroupId"]}]
    assert p["SecurityGroupIds"][0]["Fn::GetAtt"][0].startswith("OwnSg")
    # Multi-AZ off, but a group with a replica always fails over automatically.
    assert p["MultiAZEnabled"] is False and p["AutomaticFailoverEnabled"] is True
    assert p["SnapshotRetentionLimit"] == 7
    assert p["SnapshotWindow"] == "03:00-04:00"
    assert p["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert p["AutoMinorVersionUpgrade"] is False
    assert p["ReplicationGroupId"] == "tuned-cache"
    assert p["ReplicationGroupDescription"] == "tuned group"
    auth = str(p["AuthToken"])
    assert "{{resolve:secretsmanager:" in auth and ":SecretString:token::" in auth
    built["t"].has_resource_properties("AWS::ElastiCache::ParameterGroup", {
        "CacheParameterGroupFamily": "redis7",
        "Properties": {"maxmemory-policy": "allkeys-lfu", "maxmemory-samples": "10"}})


def test_no_replica_no_auth_no_tls(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Single")
    assert p["NumCacheClusters"] == 1
    assert p["MultiAZEnabled"] is False and p["AutomaticFailoverEnabled"] is False
    assert p["TransitEncryptionEnabled"] is False and "TransitEncryptionMode" not in p
    assert "AuthToken" not in p and "UserGroupIds" not in p
    assert p["AtRestEncryptionEnabled"] is True  # always on
    assert _rg(built["t"], "Single")["DeletionPolicy"] == "Delete"
    assert built["groups"]["Single"].auth_secret is None


def test_data_tiering_and_preferred_tls(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Tiered")
    assert p["DataTieringEnabled"] is True and p["CacheNodeType"] == "cache.r6gd.xlarge"
    assert p["TransitEncryptionEnabled"] is True and p["TransitEncryptionMode"] == "preferred"


def test_older_engine_gets_tls_without_mode(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Old")
    assert p["TransitEncryptionEnabled"] is True and "TransitEncryptionMode" not in p
    assert p["CacheParameterGroupName"] == "default.redis6.x"


def test_user_group_authentication(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Rbac")
    assert "AuthToken" not in p
    ug_logical, ug = only_user_group = next(iter(built["t"].find_resources("AWS::ElastiCache::UserGroup").items()))
    assert p["UserGroupIds"] == [ug["Properties"]["UserGroupId"]], only_user_group
    # The alpha names the group at synth time (a literal), so the ordering must come from an explicit dependency.
    assert ug_logical in _rg(built["t"], "Rbac").get("DependsOn", [])


def test_sharded_cluster(built: dict[str, Any]) -> None:
    t = built["t"]
    p = _rg_props(t, "Board")
    assert p["ClusterMode"] == "enabled"
    assert p["NumNodeGroups"] == 3 and p["ReplicasPerNodeGroup"] == 1
    assert p["AutomaticFailoverEnabled"] is True and p["MultiAZEnabled"] is True
    t.has_resource_properties("AWS::ElastiCache::ParameterGroup", {
        "CacheParameterGroupFamily": "valkey8",
        "Properties": {"maxmemory-policy": "noeviction", "cluster-enabled": "yes"}})
    assert _rg(t, "Board")["UpdatePolicy"] == {"UseOnlineResharding": True}
    d = _rg_props(t, "ShardDefaults")
    assert d["CacheParameterGroupName"] == "default.valkey8.cluster.on"
    assert d["NumNodeGroups"] == 3 and d["ReplicasPerNodeGroup"] == 1


def test_slot_ranges_become_node_group_configuration(built: dict[str, Any]) -> None:
    p = _rg_props(built["t"], "Slotted")
    assert p["NodeGroupConfiguration"] == [
        {"NodeGroupId": "0001", "Slots": "0-999", "ReplicaCount": 0},
        {"NodeGroupId": "0002", "Slots": "1000-16383", "ReplicaCount": 0},
    ]
    assert "ReplicasPerNodeGroup" not in p
    # Zero replicas: no Multi-AZ, but cluster mode always has automatic failover enabled.
    assert p["MultiAZEnabled"] is False and p["AutomaticFailoverEnabled"] is True


def test_connection_outputs_follow_the_contract(built: dict[str, Any]) -> None:
    outputs = built["t"].to_json()["Outputs"]
    for suffix in ("Engine", "ResourceType", "ResourceId", "EndpointAddress", "EndpointPort", "Tls",
                   "ClusterMode", "AuthSecretArn", "ReaderEndpointAddress", "ReaderEndpointPort"):
        assert f"Sessions{suffix}" in outputs
    assert outputs["SessionsEngine"]["Value"] == "valkey"
    assert outputs["SessionsResourceType"]["Value"] == "ReplicationGroup"
    assert outputs["SessionsClusterMode"]["Value"] == "false"
    assert outputs["SessionsTls"]["Value"] == "true"
    assert outputs["SessionsAuthSecretArn"]["Value"]["Ref"].startswith("SessionsAuthToken")
    assert outputs["LbClusterMode"]["Value"] == "true"
    assert outputs["LbEndpointAddress"]["Value"]["Fn::GetAtt"][1] == "ConfigurationEndPoint.Address"
    assert "LbReaderEndpointAddress" not in outputs


def test_imported_group(built: dict[str, Any]) -> None:
    imp = built["imported"]
    assert imp.replication_group_id == "legacy-cache"
    assert imp.endpoint.hostname == "legacy.example.internal"
    assert "replicationgroup:legacy-cache" in str(built["stack"].resolve(imp.replication_group_arn))
    built["t"].has_resource_properties("AWS::EC2::SecurityGroupIngress", {
        "FromPort": 6379, "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("^OwnSg"), "GroupId"]},
        "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("^AppSg"), "GroupId"]}})


def test_even_slot_ranges_match_redis_cli() -> None:
    assert even_slot_ranges(3) == ["0-5461", "5462-10922", "10923-16383"] or even_slot_ranges(3) == [
        "0-5460", "5461-10922", "10923-16383"]
    assert even_slot_ranges(1) == ["0-16383"]
    assert even_slot_ranges(2) == ["0-8191", "8192-16383"]


# --- invalid input -----------------------------------------------------------------------------------------
_counter = itertools.count()


@pytest.fixture(scope="module")
def scope() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    one_az = ec2.Vpc(stack, "OneAz", availability_zones=["us-east-1a"], nat_gateways=0,
                     subnet_configuration=[ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    user = NoPasswordUser(stack, "U", user_id="u1", user_name="default",
                          access_control=AccessControl.from_access_string("on ~* +@all"))
    users = UserGroup(stack, "G", users=[user])
    return {"stack": stack, "vpc": vpc, "one_az": one_az, "users": users}


def _pg(scope: dict[str, Any], **kwargs: Any) -> ParameterGroup:
    return ParameterGroup(scope["stack"], f"Pg{next(_counter)}", **kwargs)


INVALID_GROUPS: list[tuple[str, Any, str]] = [
    ("replicas=6", lambda s: dict(replicas=6), r"replicas: got 6; must be from 0 to 5"),
    ("replicas=-1", lambda s: dict(replicas=-1), r"replicas: got -1; must be from 0 to 5"),
    ("replicas float", lambda s: dict(replicas=1.5), r"replicas: got 1.5; must be a whole number from 0 to 5"),
    ("multi-az without replica", lambda s: dict(replicas=0, multi_az=True),
     r"multi_az: got True; Multi-AZ needs at least one replica \(replicas >= 1\)"),
    ("token without TLS", lambda s: dict(transit_encryption=TransitEncryption.DISABLED),
     r"transit_encryption: got 'DISABLED'; authentication 'generated' needs TLS"),
    ("user group without TLS", lambda s: dict(transit_encryption=TransitEncryption.DISABLED,
                                               authentication=Authentication.user_group(s["users"])),
     r"authentication 'user_group' needs TLS"),
    ("TLS mode string", lambda s: dict(transit_encryption="required"),
     r"transit_encryption: got 'required'; allowed: TransitEncryption.REQUIRED, TransitEncryption.PREFERRED"),
    ("preferred on redis 6.2", lambda s: dict(engine_version=EngineVersion.REDIS_6_2,
                                               transit_encryption=TransitEncryption.PREFERRED),
     r"transit_encryption: got 'PREFERRED'; redis 6.2 lacks TLS modes"),
    ("m6g on redis 5.0.5", lambda s: dict(engine_version=EngineVersion.of("redis", "5.0.5"),
                                           node_type=NodeType.M6G_LARGE, authentication=Authentication.none()),
     r"node_type: got 'cache.m6g.large'; m6g nodes need redis 5.0.6 or later \(got redis 5.0.5\)"),
    ("RBAC on redis 5", lambda s: dict(engine_version=EngineVersion.of("redis", "5.0.6"),
                                       authentication=Authentication.user_group(s["users"])),
     r"authentication: got 'user_group'; redis 5.0.6 lacks RBAC"),
    ("unknown node type", lambda s: dict(node_type="cache.r7g.larg"), r"node_type: got 'cache.r7g.larg'; unknown"),
    ("node type object", lambda s: dict(node_type=42), r"node_type: got 42; pass a NodeType"),
    ("tiering without SSD", lambda s: dict(data_tiering=True),
     r"data_tiering: got True; node type cache.r7g.large has no SSD tier; data tiering needs one of: cache.r6gd"),
    ("r6gd without tiering", lambda s: dict(node_type=NodeType.R6GD_XLARGE),
     r"data_tiering: got False; node type cache.r6gd.xlarge requires data_tiering=True"),
    ("tiering on redis 6.0", lambda s: dict(node_type=NodeType.R6GD_XLARGE, data_tiering=True,
                                             engine_version=EngineVersion.of("redis", "6.0")),
     r"data_tiering: got True; redis 6.0 lacks data tiering"),
    ("bad eviction policy", lambda s: dict(eviction_policy="lru"),
     r"eviction_policy: got 'lru'; allowed: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru"),
    ("policy and group", lambda s: dict(eviction_policy=EvictionPolicy.ALLKEYS_LRU,
                                        parameter_group=_pg(s, engine_version=EngineVersion.VALKEY_8_1)),
     r"eviction_policy: got 'allkeys-lru'; set it on the parameter_group, not both"),
    ("family mismatch", lambda s: dict(parameter_group=_pg(s, engine_version=EngineVersion.VALKEY_7_2)),
     r"parameter_group: got 'valkey7'; valkey 8.1 needs a parameter group of family 'valkey8'"),
    ("cluster group on non-cluster", lambda s: dict(
        parameter_group=_pg(s, engine_version=EngineVersion.VALKEY_8_1, cluster_mode=True)),
     r"parameter_group: got 'cluster-enabled yes'; a ReplicationGroup needs a parameter group with cluster_mode=False"),
    ("bad snapshot window", lambda s: dict(snapshot_window="5-6"),
     r"snapshot_window: got '5-6'; format is 'hh24:mi-hh24:mi' in UTC"),
    ("short snapshot window", lambda s: dict(snapshot_window="05:00-05:30"),
     r"snapshot_window: got '05:00-05:30'; must be at least 60 minutes long"),
    ("snapshot hour 24", lambda s: dict(snapshot_window="23:00-24:00"),
     r"snapshot_window: got '23:00-24:00'; hours are 00-23"),
    ("bad maintenance day", lambda s: dict(maintenance_window="xyz:05:00-xyz:06:00"),
     r"maintenance_window: got 'xyz:05:00-xyz:06:00'; days are sun, mon"),
    ("bad maintenance format", lambda s: dict(maintenance_window="sun 05:00"),
     r"maintenance_window: got 'sun 05:00'; format is 'ddd:hh24:mi-ddd:hh24:mi'"),
    ("short maintenance", lambda s: dict(maintenance_window="sun:05:00-sun:05:59"),
     r"maintenance_window: got 'sun:05:00-sun:05:59'; must be 60 minutes to 24 hours long"),
    ("long maintenance", lambda s: dict(maintenance_window="sun:05:00-tue:05:00"),
     r"must be 60 minutes to 24 hours long"),
    ("overlapping windows", lambda s: dict(snapshot_window="05:00-06:00", maintenance_window="tue:05:30-tue:06:30"),
     r"snapshot_window: got '05:00-06:00'; overlaps maintenance_window 'tue:05:30-tue:06:30'"),
    ("overlap across midnight", lambda s: dict(snapshot_window="23:30-00:30", maintenance_window="sat:00:00-sat:01:00"),
     r"overlaps maintenance_window"),
    ("id starts with digit", lambda s: dict(replication_group_id="1cache"),
     r"replication_group_id: got '1cache'; must be 1-40 lowercase letters, digits or hyphens, starting with a letter"),
    ("id double hyphen", lambda s: dict(replication_group_id="my--cache"), r"replication_group_id: got 'my--cache'"),
    ("id trailing hyphen", lambda s: dict(replication_group_id="cache-"), r"replication_group_id: got 'cache-'"),
    ("id uppercase", lambda s: dict(replication_group_id="Cache"), r"replication_group_id: got 'Cache'"),
    ("id too long", lambda s: dict(replication_group_id="a" * 41), r"replication_group_id: got 'a{41}'"),
    ("retention 36", lambda s: dict(snapshot_retention_days=36), r"snapshot_retention_days: got 36; must be from 0 to 35"),
    ("port 0", lambda s: dict(port=0), r"port: got 0; must be from 1 to 65535"),
    ("port 70000", lambda s: dict(port=70000), r"port: got 70000; must be from 1 to 65535"),
    ("memcached engine", lambda s: dict(engine_version=EngineVersion.MEMCACHED_1_6_22),
     r"engine_version: got 'memcached 1.6.22'; replication groups run valkey or redis; use MemcachedCluster"),
    ("engine as string", lambda s: dict(engine_version="8.1"), r"engine_version: got '8.1'; pass an EngineVersion"),
    ("long description", lambda s: dict(description="d" * 256), r"description: got 'd{40}\.\.\.'; must be at most 255"),
    ("auth object", lambda s: dict(authentication="token"), r"authentication: got 'token'; pass Authentication"),
    ("kms key arn string", lambda s: dict(kms_key="arn:aws:kms:us-east-1:123456789012:key/x"),
     r"kms_key: got 'arn:aws:kms.*'; pass a kms.IKey"),
    ("multi-az in one AZ", lambda s: dict(vpc=s["one_az"]),
     r"vpc_subnets: got \['us-east-1a'\]; Multi-AZ needs subnets in at least 2 availability zones"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), INVALID_GROUPS, ids=[c[0] for c in INVALID_GROUPS])
def test_invalid_replication_group(scope: dict[str, Any], case: str, kwargs: Any, message: str) -> None:
    props = {"vpc": scope["vpc"], **kwargs(scope)}
    with pytest.raises(ValidationError, match=message):
        ReplicationGroup(scope["stack"], f"Bad{next(_counter)}", **props)


INVALID_SHARDED: list[tuple[str, Any, str]] = [
    ("0 shards", lambda s: dict(shards=0), r"shards: got 0; must be from 1 to 500"),
    ("501 shards", lambda s: dict(shards=501), r"shards: got 501; must be from 1 to 500"),
    ("too many nodes", lambda s: dict(shards=100, replicas_per_shard=5),
     r"shards: got 100; 100 shards x 6 nodes = 600 nodes; valkey 8.1 allows at most 500"),
    ("old redis node limit", lambda s: dict(shards=251, replicas_per_shard=0,
                                            engine_version=EngineVersion.of("redis", "5.0.5")),
     r"shards: got 251; must be from 1 to 250"),
    ("6 replicas", lambda s: dict(replicas_per_shard=6), r"replicas_per_shard: got 6; must be from 0 to 5"),
    ("multi-az without replicas", lambda s: dict(replicas_per_shard=0, multi_az=True),
     r"multi_az: got True; Multi-AZ needs at least one replica \(replicas_per_shard >= 1\)"),
    ("slot count", lambda s: dict(shards=3, slot_ranges=["0-16383"]),
     r"slot_ranges: got \['0-16383'\]; needs exactly one range per shard \(3\)"),
    ("slot gap", lambda s: dict(shards=2, slot_ranges=["0-100", "200-16383"]),
     r"slots 101-199 are not assigned to any shard"),
    ("slot tail", lambda s: dict(shards=2, slot_ranges=["0-100", "101-16000"]),
     r"slots 16001-16383 are not assigned to any shard"),
    ("slot overlap", lambda s: dict(shards=2, slot_ranges=["0-8000", "7000-16383"]),
     r"slot_ranges: got '7000-16383'; overlaps another shard's range"),
    ("slot format", lambda s: dict(shards=1, slot_ranges=["all"]), r"slot_ranges: got 'all'; each range is 'start-end'"),
    ("slot beyond", lambda s: dict(shards=1, slot_ranges=["0-16384"]), r"slot_ranges: got '0-16384'; start <= end, both from 0 to 16383"),
    ("non-cluster group", lambda s: dict(parameter_group=_pg(s, engine_version=EngineVersion.VALKEY_8_1)),
     r"parameter_group: got 'cluster-enabled no'; a ShardedReplicationGroup needs a parameter group with cluster_mode=True"),
    ("default non-cluster group", lambda s: dict(
        parameter_group=ParameterGroup.default_for(EngineVersion.VALKEY_8_1)),
     r"a ShardedReplicationGroup needs a parameter group with cluster_mode=True"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), INVALID_SHARDED, ids=[c[0] for c in INVALID_SHARDED])
def test_invalid_sharded_group(scope: dict[str, Any], case: str, kwargs: Any, message: str) -> None:
    props = {"vpc": scope["vpc"], **kwargs(scope)}
    with pytest.raises(ValidationError, match=message):
        ShardedReplicationGroup(scope["stack"], f"BadS{next(_counter)}", **props)


def test_invalid_input_creates_nothing(scope: dict[str, Any]) -> None:
    stack = scope["stack"]
    before = len(stack.node.find_all())
    with pytest.raises(ValidationError):
        ReplicationGroup(stack, "NothingLeft", vpc=scope["vpc"], replicas=9)
    assert len(stack.node.find_all()) == before


def test_unresolved_tokens_are_not_validated(scope: dict[str, Any]) -> None:
    stack = scope["stack"]
    replicas = int(cdk.Token.as_number(cdk.CfnParameter(stack, "Replicas", type="Number").value_as_number))
    window = cdk.CfnParameter(stack, "Window").value_as_string
    group_id = cdk.CfnParameter(stack, "GroupId").value_as_string
    g = ReplicationGroup(stack, "Tokens", vpc=scope["vpc"], replicas=replicas, snapshot_window=window,
                         replication_group_id=group_id, node_type=NodeType.of(cdk.CfnParameter(stack, "Nt").value_as_string))
    assert g.multi_az is True
