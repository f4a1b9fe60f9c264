"""Node-based Memcached: the guide's "simple key-value, multi-threaded" cache (``AWS::ElastiCache::CacheCluster``)."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Resource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._network import cache_network_resources, subnet_kwargs
from ._validation import check_range, fail, is_unresolved
from .auth import TransitEncryption
from .endpoint import Endpoint
from .engine import Engine, EngineVersion
from .monitoring import CacheMetricNames, CacheMetricsMixin
from .network import IpDiscovery, NetworkType, validate_network
from .node_type import NodeType, check_engine_support
from .notifications import bind_notification_topic, validate_notification_topic
from .outputs import ConnectionInfo, ConnectionOutputsMixin
from .parameter_group import IParameterGroup, ParameterGroup
from .windows import validate_windows

#: Nodes in one Memcached cluster (the documented per-cluster maximum).
MAX_NODES = 60
#: Accounts start with this "Nodes per cluster (Memcached)" quota; more needs a quota increase.
DEFAULT_NODE_QUOTA = 40
DEFAULT_PORT = 11211
MIN_PORT, MAX_PORT = 1, 65535
#: Cache cluster ids are 1-50 characters.
MAX_CLUSTER_NAME_LENGTH = 50

_ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")


class AzMode(enum.StrEnum):
    """Where the nodes of a Memcached cluster are placed. Members compare equal to the CloudFormation value."""

    #: Nodes spread over the availability zones of the cluster's subnets (needs at least 2 nodes).
    CROSS_AZ = "cross-az"
    #: Every node in one availability zone.
    SINGLE_AZ = "single-az"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: AzMode | str) -> AzMode:
        """Accept a member or its string; anything else raises naming ``az_mode`` and the allowed values."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise fail("az_mode", value, "allowed: " + ", ".join(repr(m.value) for m in cls)) from None


_NO_REPLICATION = "Memcached has no replication (each node holds its own share of the keys); use ReplicationGroup"
_NO_SNAPSHOTS = "Memcached has no persistence or snapshots; use ReplicationGroup or ServerlessCache"
_NO_AUTH = "Memcached has no AUTH tokens or user groups; restrict clients with connections (security groups)"
_NO_AT_REST = "node-based Memcached has no at-rest encryption (use ServerlessCache for encrypted Memcached)"
_NO_MIXED_TLS = "memcached has no mixed TLS mode; allowed: REQUIRED, DISABLED"

#: Properties of Valkey/Redis OSS caches that Memcached lacks, and what to do instead. Passing one is an error.
UNSUPPORTED_PROPERTIES: dict[str, str] = {
    "replicas": _NO_REPLICATION,
    "replicas_per_shard": _NO_REPLICATION,
    "multi_az": "Memcached has no failover; spread the nodes with az_mode=AzMode.CROSS_AZ",
    "snapshot_retention_days": _NO_SNAPSHOTS,
    "snapshot_window": _NO_SNAPSHOTS,
    "final_snapshot_name": _NO_SNAPSHOTS,
    "authentication": _NO_AUTH,
    "auth_token": _NO_AUTH,
    "user_group": _NO_AUTH,
    "eviction_policy": "Memcached always evicts least recently used items; maxmemory-policy is a Valkey/Redis OSS "
    "setting",
    "cluster_mode": "Memcached has no cluster mode: clients spread keys over the nodes they discover via the "
    "configuration endpoint",
    "shards": "Memcached has no shards/cluster mode: set nodes= (clients spread keys over the nodes)",
    "data_tiering": "data tiering (r6gd nodes) is Valkey/Redis OSS only",
    "global_datastore": "Global Datastore replicates Valkey/Redis OSS replication groups only",
    "kms_key": _NO_AT_REST,
    "at_rest_encryption": _NO_AT_REST,
}


# --- validation rules ---------------------------------------------------------------------------------------
def reject_unsupported(props: dict[str, Any]) -> None:
    """Name each Valkey/Redis OSS-only property Memcached lacks; any other unknown keyword is a TypeError."""
    for prop, value in props.items():
        reason = UNSUPPORTED_PROPERTIES.get(prop)
        if reason is None:
            raise TypeError(f"MemcachedCluster() got an unexpected keyword argument {prop!r}")
        raise fail(prop, value, reason)


def validate_memcached_engine_version(engine_version: Any) -> EngineVersion:
    """A Memcached ``EngineVersion``."""
    if not isinstance(engine_version, EngineVersion):
        raise fail("engine_version", engine_version, "pass an EngineVersion, e.g. EngineVersion.MEMCACHED_1_6_22")
    if engine_version.engine is not Engine.MEMCACHED:
        raise fail(
            "engine_version",
            str(engine_version),
            "MemcachedCluster runs memcached; use ReplicationGroup for valkey/redis",
        )
    return engine_version


def resolve_transit_encryption(value: Any, engine_version: EngineVersion) -> TransitEncryption:
    """TLS (REQUIRED) on Memcached 1.6.12+ by default; Memcached has no PREFERRED (mixed) mode."""
    if value is None:
        return TransitEncryption.REQUIRED if engine_version.supports_transit_encryption else TransitEncryption.DISABLED
    if not isinstance(value, TransitEncryption):
        raise fail("transit_encryption", value, "allowed: TransitEncryption.REQUIRED, TransitEncryption.DISABLED")
    if value is TransitEncryption.PREFERRED:
        raise fail("transit_encryption", "PREFERRED", _NO_MIXED_TLS)
    if value.enabled and not engine_version.supports_transit_encryption:
        raise fail(
            "transit_encryption", value.name, f"{engine_version} lacks in-transit encryption (memcached 1.6.12+)"
        )
    return value


def validate_memcached_node_type(node_type: Any) -> NodeType:
    """A known node type that runs Memcached (no data-tiering types)."""
    if isinstance(node_type, str):
        node_type = NodeType.of(node_type)
    if not isinstance(node_type, NodeType):
        raise fail("node_type", node_type, "pass a NodeType, e.g. NodeType.M7G_LARGE or NodeType.of('cache.m7g.large')")
    if node_type.data_tiering:
        raise fail("node_type", node_type.name, "data-tiering node types (r6gd) run Valkey/Redis OSS only")
    return node_type


def resolve_az_mode(az_mode: Any, nodes: int) -> AzMode:
    """Default: cross-AZ with 2+ nodes; cross-AZ needs at least 2 nodes."""
    if az_mode is None:
        return AzMode.CROSS_AZ if is_unresolved(nodes) or nodes >= 2 else AzMode.SINGLE_AZ
    mode = AzMode.parse(az_mode)
    if mode is AzMode.CROSS_AZ and not is_unresolved(nodes) and nodes < 2:
        raise fail("az_mode", mode.value, f"cross-az needs at least 2 nodes (nodes={nodes})")
    return mode


def validate_preferred_azs(azs: Sequence[str] | None, nodes: int, az_mode: AzMode, subnet_azs: Sequence[str]) -> None:
    """One AZ per node; one distinct AZ for single-az, several for cross-az; only AZs the subnets cover."""
    if azs is None:
        return
    azs = list(azs)
    if not is_unresolved(nodes) and len(azs) != nodes:
        raise fail("preferred_availability_zones", azs, f"needs exactly one availability zone per node ({nodes})")
    if is_unresolved(azs):
        return
    distinct = set(azs)
    if az_mode is AzMode.SINGLE_AZ and len(distinct) > 1:
        raise fail("preferred_availability_zones", azs, "single-az puts every node in one availability zone")
    if az_mode is AzMode.CROSS_AZ and len(distinct) < 2:
        raise fail("preferred_availability_zones", azs, "cross-az needs at least 2 different availability zones")
    if subnet_azs and not is_unresolved(list(subnet_azs)):
        missing = sorted(distinct - set(subnet_azs))
        if missing:
            raise fail(
                "preferred_availability_zones",
                missing,
                "no subnet of vpc_subnets in these zones; subnets cover " + ", ".join(sorted(set(subnet_azs))),
            )


def validate_cluster_name(value: str | None, prop: str = "cluster_name") -> None:
    """1-50 lowercase letters, digits or hyphens; starts with a letter; no ``--``; no trailing hyphen."""
    if value is None or is_unresolved(value):
        return
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_CLUSTER_NAME_LENGTH
        or not _ID_RE.match(value)
        or "--" in value
        or value.endswith("-")
    ):
        raise fail(
            prop,
            value,
            f"must be 1-{MAX_CLUSTER_NAME_LENGTH} lowercase letters, digits or hyphens, starting with a letter, "
            "without '--' or a trailing hyphen",
        )


def validate_memcached_parameter_group(parameter_group: Any, engine_version: EngineVersion) -> IParameterGroup:
    """A parameter group of the engine version's Memcached family."""
    if not isinstance(parameter_group, IParameterGroup):
        raise fail(
            "parameter_group", parameter_group, "pass a ParameterGroup (or ParameterGroup.from_parameter_group_name)"
        )
    if parameter_group.family != engine_version.family:
        raise fail(
            "parameter_group",
            parameter_group.family,
            f"{engine_version} needs a parameter group of family {engine_version.family!r}",
        )
    return parameter_group


def validate_memcached_removal_policy(removal_policy: Any) -> RemovalPolicy:
    """``DESTROY`` or ``RETAIN``: Memcached has no snapshots."""
    if removal_policy is RemovalPolicy.SNAPSHOT:
        raise fail("removal_policy", "SNAPSHOT", "Memcached has no snapshots; allowed: DESTROY, RETAIN")
    if not isinstance(removal_policy, RemovalPolicy):
        raise fail("removal_policy", removal_policy, "allowed: RemovalPolicy.DESTROY, RemovalPolicy.RETAIN")
    return removal_policy


# --- base and import ----------------------------------------------------------------------------------------
@jsii.implements(ec2.IConnectable)
class MemcachedClusterBase(ConnectionOutputsMixin, CacheMetricsMixin, Resource):
    """What every Memcached cluster offers, from its attributes: ARN, endpoint, outputs, metrics and alarms."""

    metric_names = CacheMetricNames.MEMCACHED
    cache_cluster_id: str
    connections: ec2.Connections
    configuration_endpoint: Endpoint
    transit_encryption: TransitEncryption
    engine_version: EngineVersion | None

    @property
    def cache_cluster_arn(self) -> str:
        """ARN of the cache cluster."""
        return Stack.of(self).format_arn(
            service="elasticache",
            resource="cluster",
            resource_name=self.cache_cluster_id,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def endpoint(self) -> Endpoint:
        """The configuration endpoint (clients with auto discovery find every node through it)."""
        return self.configuration_endpoint

    def metric_dimensions(self) -> dict[str, str]:
        """CloudWatch dimensions of the cluster's metrics: ``{"CacheClusterId": <id>}``."""
        return {"CacheClusterId": self.cache_cluster_id}

    def connection_info(self) -> ConnectionInfo:
        """The outputs contract's view of this cluster."""
        return ConnectionInfo(
            engine=Engine.MEMCACHED.value,
            resource_type="CacheCluster",
            resource_id=self.cache_cluster_id,
            endpoint=self.configuration_endpoint,
            tls=self.transit_encryption.enabled,
            cluster_mode=False,
            auth_secret=None,
        )


class _ImportedMemcachedCluster(MemcachedClusterBase):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cache_cluster_id: str,
        endpoint: Endpoint,
        security_groups: Sequence[ec2.ISecurityGroup],
        transit_encryption: TransitEncryption,
        engine_version: EngineVersion | None,
    ) -> None:
        super().__init__(scope, id)
        self.cache_cluster_id = cache_cluster_id
        self.configuration_endpoint = endpoint
        self.connections = ec2.Connections(
            security_groups=list(security_groups), default_port=ec2.Port.tcp(endpoint.port)
        )
        self.transit_encryption = transit_encryption
        self.engine_version = engine_version


# --- the construct ------------------------------------------------------------------------------------------
class MemcachedCluster(MemcachedClusterBase):
    """A node-based Memcached cluster: simple key-value caching on multi-threaded nodes, keys spread over the
    nodes by the client (auto discovery through the configuration endpoint).

    Secure by default: TLS (Memcached 1.6.12+), a security group with no ingress or egress, nodes across
    availability zones. Memcached has no replication, persistence, snapshots, AUTH or user groups: passing such
    a property (``replicas=``, ``snapshot_retention_days=``, ``authentication=``, ``eviction_policy=``,
    ``cluster_mode=``, ``data_tiering=``, ``kms_key=``...) is an error that says what to use instead.

    :param vpc: VPC the cluster lives in.
    :param node_type: Default: ``NodeType.M7G_LARGE`` (6.38 GiB, 2 vCPUs). Data-tiering types are rejected.
    :param nodes: 1-60 (accounts start with a quota of 40 per cluster). Default: 2.
    :param engine_version: a Memcached version. Default: ``EngineVersion.MEMCACHED_1_6_22``.
    :param az_mode: ``AzMode.CROSS_AZ`` or ``AzMode.SINGLE_AZ``. Default: cross-AZ with 2+ nodes.
    :param preferred_availability_zones: one AZ per node (may repeat). Default: chosen by ElastiCache.
    :param port: Default: 11211.
    :param transit_encryption: ``REQUIRED`` or ``DISABLED`` (Memcached has no ``PREFERRED``). Default:
        ``REQUIRED`` where the version supports TLS (1.6.12+), else ``DISABLED``.
    :param parameter_group: a ``ParameterGroup`` of the version's family (``memcached1.6``). Default:
        ElastiCache's ``default.<family>``.
    :param vpc_subnets: Default: the VPC's private subnets (isolated when it has no private-with-egress ones).
    :param security_groups: Default: a new group with no ingress or egress; allow clients with ``connections``.
    :param maintenance_window: weekly UTC ``ddd:hh24:mi-ddd:hh24:mi``. Default: chosen by ElastiCache.
    :param cluster_name: physical id (lowercase, 1-50). Default: generated by CloudFormation.
    :param removal_policy: ``DESTROY`` or ``RETAIN`` (``SNAPSHOT`` is rejected: no snapshots). Default: ``DESTROY``.
    :param network_type: ``NetworkType.IPV4``, ``IPV6`` or ``DUAL_STACK`` (IPv6: Memcached 1.6.6+, Nitro node
        types, subnets with IPv6 CIDRs). Create-only. Default: not set (ElastiCache: IPv4).
    :param ip_discovery: ``IpDiscovery.IPV4``/``IPV6``: addresses auto discovery returns (a choice with dual
        stack). Default: not set (ElastiCache's default).
    :param notification_topic: ``sns.ITopic`` for ElastiCache events (same account and region, unencrypted; a
        topic of the app gets the documented publish statement). Default: no notifications.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        node_type: NodeType | str = NodeType.M7G_LARGE,
        nodes: int = 2,
        engine_version: EngineVersion = EngineVersion.MEMCACHED_1_6_22,
        az_mode: AzMode | str | None = None,
        preferred_availability_zones: Sequence[str] | None = None,
        port: int = DEFAULT_PORT,
        transit_encryption: TransitEncryption | None = None,
        parameter_group: IParameterGroup | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        maintenance_window: str | None = None,
        cluster_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
        **unsupported: Any,
    ) -> None:
        # Validate everything before creating any child, so a bad prop leaves no half-built construct.
        reject_unsupported(unsupported)
        engine_version = validate_memcached_engine_version(engine_version)
        node_type = validate_memcached_node_type(node_type)
        check_engine_support(node_type, engine_version)
        check_range("nodes", nodes, 1, MAX_NODES)
        mode = resolve_az_mode(az_mode, nodes)
        tls = resolve_transit_encryption(transit_encryption, engine_version)
        check_range("port", port, MIN_PORT, MAX_PORT)
        if parameter_group is not None:
            parameter_group = validate_memcached_parameter_group(parameter_group, engine_version)
        validate_windows(None, maintenance_window)
        validate_cluster_name(cluster_name)
        removal_policy = validate_memcached_removal_policy(removal_policy)
        if security_groups is not None and len(security_groups) == 0:
            raise fail("security_groups", [], "pass at least one security group, or leave it unset for a new one")
        subnets = vpc.select_subnets(**subnet_kwargs(vpc_subnets))
        subnet_azs = list(subnets.availability_zones)
        validate_preferred_azs(preferred_availability_zones, nodes, mode, subnet_azs)
        if mode is AzMode.CROSS_AZ and subnet_azs and not is_unresolved(subnet_azs) and len(set(subnet_azs)) < 2:
            raise fail("vpc_subnets", subnet_azs, "cross-az needs subnets in at least 2 availability zones")
        network = validate_network(
            network_type, ip_discovery, engine_version=engine_version,
            node_type=node_type if node_type.is_known else None, subnets=subnets.subnets,
        )
        topic = validate_notification_topic(scope, notification_topic)

        super().__init__(scope, id, physical_name=cluster_name)
        if not is_unresolved(nodes) and nodes > DEFAULT_NODE_QUOTA:
            Annotations.of(self).add_warning_v2(
                "elasticache-constructs:memcachedNodeQuota",
                f"nodes={nodes}: accounts start with a quota of {DEFAULT_NODE_QUOTA} nodes per Memcached cluster; "
                "request a 'Nodes per cluster (Memcached)' quota increase before deploying",
            )
        self.engine_version = engine_version
        self.node_type = node_type
        self.nodes = nodes
        self.az_mode = mode
        self.port = port
        self.transit_encryption = tls
        self.parameter_group: IParameterGroup = parameter_group or ParameterGroup.default_for(engine_version)
        self.connections, self.subnet_group = cache_network_resources(
            self, vpc=vpc, security_groups=security_groups, port=port, subnet_ids=subnets.subnet_ids,
        )
        self.resource = elasticache.CfnCacheCluster(
            self,
            "Resource",
            engine=Engine.MEMCACHED.value,
            engine_version=engine_version.version,
            cache_node_type=node_type.name,
            num_cache_nodes=nodes,
            az_mode=mode.value,
            preferred_availability_zones=list(preferred_availability_zones) if preferred_availability_zones else None,
            port=port,
            transit_encryption_enabled=True if tls.enabled else None,
            cache_parameter_group_name=self.parameter_group.parameter_group_name,
            cache_subnet_group_name=self.subnet_group.ref,
            vpc_security_group_ids=[sg.security_group_id for sg in self.connections.security_groups],
            preferred_maintenance_window=maintenance_window,
            cluster_name=cluster_name,
            notification_topic_arn=bind_notification_topic(self, topic),
            network_type=network["network_type"],
            ip_discovery=network["ip_discovery"],
        )
        self.network_type = NetworkType(network["network_type"]) if network["network_type"] else NetworkType.IPV4
        self.resource.apply_removal_policy(removal_policy)
        #: The cache cluster id (``Ref``).
        self.cache_cluster_id = self.resource.ref
        #: Configuration endpoint: clients with auto discovery find every node through it.
        self.configuration_endpoint = Endpoint(
            self.resource.attr_configuration_endpoint_address, self.resource.attr_configuration_endpoint_port
        )

    @staticmethod
    def from_cache_cluster_attributes(
        scope: Construct,
        id: str,
        *,
        cache_cluster_id: str,
        configuration_endpoint_address: str,
        port: int = DEFAULT_PORT,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        engine_version: EngineVersion | None = None,
    ) -> MemcachedClusterBase:
        """An existing Memcached cluster, to connect to and export.

        :param configuration_endpoint_address: the cluster's configuration endpoint host.
        :param security_groups: its security groups, for ``connections``. Default: none.
        :param transit_encryption: whether it requires TLS. Default: ``REQUIRED``.
        """
        validate_cluster_name(cache_cluster_id, "cache_cluster_id")
        check_range("port", port, MIN_PORT, MAX_PORT)
        if transit_encryption is TransitEncryption.PREFERRED:
            raise fail("transit_encryption", "PREFERRED", _NO_MIXED_TLS)
        if engine_version is not None:
            validate_memcached_engine_version(engine_version)
        return _ImportedMemcachedCluster(
            scope, id, cache_cluster_id=cache_cluster_id, endpoint=Endpoint(configuration_endpoint_address, port),
            security_groups=security_groups, transit_encryption=transit_encryption, engine_version=engine_version,
        )


__all__ = [
    "DEFAULT_NODE_QUOTA",
    "MAX_NODES",
    "UNSUPPORTED_PROPERTIES",
    "AzMode",
    "MemcachedCluster",
    "MemcachedClusterBase",
]
