"""Valkey / Redis OSS replication groups: cluster mode disabled (``ReplicationGroup``) and enabled
(``ShardedReplicationGroup``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import CfnUpdatePolicy, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from . import change_safety
from ._provisioned_group import _COMMON_DOC, _ProvisionedGroup
from ._validation import check_range, fail, is_unresolved
from .auth import Authentication, TransitEncryption
from .durability import Durability
from .endpoint import Endpoint
from .engine import EngineVersion
from .eviction_policy import EvictionPolicy
from .log_delivery import LogDeliveryOption
from .monitoring import CacheAlarms
from .network import IpDiscovery, NetworkType
from .node_type import NodeType
from .parameter_group import IParameterGroup
from .placement import ShardPlacement, validate_preferred_azs, validate_shard_placements
from .replication_group_base import (
    IReplicationGroup,
    ReplicationGroupBase,
    _ImportedReplicationGroup,
)
from .replication_rules import (
    DEFAULT_PORT,
    MAX_REPLICAS,
    TOTAL_SLOTS,
    even_slot_ranges,
    validate_replicas,
    validate_replication_group_id,
    validate_slot_ranges,
)
from .replication_rules import validate_description as validate_description  # re-exported
from .restore import Restore
from .scaling import (
    ReplicaAutoScaling,
    ShardAutoScaling,
    validate_auto_scaling_support,
    validate_replica_bounds,
    validate_shard_bounds,
)


class ReplicationGroup(_ProvisionedGroup):
    """A Valkey/Redis OSS replication group with cluster mode disabled: one primary and up to 5 read replicas.

    Secure by default: TLS required, at-rest encryption, an AUTH token generated in Secrets Manager, a security
    group with no ingress, Multi-AZ automatic failover when there is a replica, snapshot on delete.

    :param replicas: read replicas, 0-5. Default: 1.
    :param preferred_availability_zones: one AZ per node, the primary's first, then each replica's (AZs of
        ``vpc_subnets``; may repeat). Create-only, so changing ``replicas`` later replaces the group (synth
        warning). Default: ElastiCache spreads the nodes.
    """

    __doc__ = (__doc__ or "") + _COMMON_DOC

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        replicas: int = 1,
        engine_version: EngineVersion = EngineVersion.VALKEY_8_1,
        node_type: NodeType | str = NodeType.R7G_LARGE,
        eviction_policy: EvictionPolicy | str | None = None,
        parameter_group: IParameterGroup | None = None,
        authentication: Authentication | None = None,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        kms_key: kms.IKey | None = None,
        port: int = DEFAULT_PORT,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        multi_az: bool | None = None,
        data_tiering: bool = False,
        snapshot_retention_days: int = 1,
        snapshot_window: str | None = None,
        maintenance_window: str | None = None,
        auto_minor_version_upgrade: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT,
        replication_group_id: str | None = None,
        description: str | None = None,
        slow_log: LogDeliveryOption = None,
        engine_log: LogDeliveryOption = None,
        restore_from: Restore | None = None,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
        preferred_availability_zones: Sequence[str] | None = None,
    ) -> None:
        self.replicas = replicas
        self.preferred_availability_zones = preferred_availability_zones
        super().__init__(
            scope, id, cluster_mode=False, replicas=replicas, replicas_prop="replicas", vpc=vpc,
            engine_version=engine_version, node_type=node_type, eviction_policy=eviction_policy,
            parameter_group=parameter_group, authentication=authentication, transit_encryption=transit_encryption,
            kms_key=kms_key, port=port, vpc_subnets=vpc_subnets, security_groups=security_groups, multi_az=multi_az,
            data_tiering=data_tiering, snapshot_retention_days=snapshot_retention_days,
            snapshot_window=snapshot_window, maintenance_window=maintenance_window,
            auto_minor_version_upgrade=auto_minor_version_upgrade, removal_policy=removal_policy,
            replication_group_id=replication_group_id, description=description,
            slow_log=slow_log, engine_log=engine_log, restore_from=restore_from, network_type=network_type,
            ip_discovery=ip_discovery, notification_topic=notification_topic,
        )
        #: Read/write endpoint (follows the primary across failovers).
        self.primary_endpoint = Endpoint(
            self.resource.attr_primary_end_point_address, self.resource.attr_primary_end_point_port
        )
        #: Read-only endpoint spreading connections over the replicas.
        self.reader_endpoint = Endpoint(
            self.resource.attr_reader_end_point_address, self.resource.attr_reader_end_point_port
        )

    def _topology(self) -> dict[str, Any]:
        return {
            "num_cache_clusters": self.replicas + 1 if not is_unresolved(self.replicas) else self.replicas,
            "preferred_cache_cluster_a_zs": self.preferred_availability_zones,
        }

    def _validate_placement(self, subnet_azs: list[str], multi_az: bool) -> None:
        self.preferred_availability_zones = validate_preferred_azs(
            self.preferred_availability_zones, self.replicas, subnet_azs
        )
        if self.preferred_availability_zones is not None:
            change_safety.warn(
                self, "preferred-azs-fix-replica-count",
                f"preferred_availability_zones={self.preferred_availability_zones}",
            )
        if not is_unresolved(self.replicas) and self.replicas == 0:
            change_safety.warn(self, "add-first-replica-with-failover", "replicas=0")

    def member_cluster_ids(self) -> list[str]:
        """``<id>-001`` (the first primary) to ``<id>-00<replicas + 1>``."""
        if is_unresolved(self.replicas):
            raise fail("replicas", self.replicas, "metrics need a literal replica count to name the member clusters")
        return [self._member_id(f"-{n:03d}") for n in range(1, self.replicas + 2)]

    def monitored_kinds(self) -> frozenset[str]:
        """Without replicas there is no replication lag."""
        kinds = super().monitored_kinds()
        return kinds if is_unresolved(self.replicas) or self.replicas > 0 else kinds - {"replication_lag"}

    def auto_scale_shards(self, **_: Any) -> Any:
        """Not available: ElastiCache Auto Scaling supports cluster mode enabled only."""
        raise fail(
            "auto_scale_shards", self.node.path,
            "ElastiCache auto scaling needs cluster mode enabled; use a ShardedReplicationGroup",
        )

    def auto_scale_replicas(self, **_: Any) -> Any:
        """Not available: ElastiCache Auto Scaling supports cluster mode enabled only."""
        raise fail(
            "auto_scale_replicas", self.node.path,
            "ElastiCache auto scaling needs cluster mode enabled; use a ShardedReplicationGroup",
        )

    @property
    def endpoint(self) -> Endpoint:
        return self.primary_endpoint

    @staticmethod
    def from_replication_group_attributes(
        scope: Construct,
        id: str,
        *,
        replication_group_id: str,
        endpoint_address: str,
        port: int = DEFAULT_PORT,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        cluster_mode: bool = False,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        auth_secret: secretsmanager.ISecret | None = None,
        engine_version: EngineVersion | None = None,
    ) -> ReplicationGroupBase:
        """An existing replication group (of either mode), to connect to, grant on and export.

        :param endpoint_address: primary endpoint (cluster mode disabled) or configuration endpoint.
        :param security_groups: its security groups, for ``connections``. Default: none.
        """
        validate_replication_group_id(replication_group_id)
        return _ImportedReplicationGroup(
            scope, id, replication_group_id=replication_group_id, endpoint=Endpoint(endpoint_address, port),
            security_groups=security_groups, cluster_mode=cluster_mode, transit_encryption=transit_encryption,
            auth_secret=auth_secret, engine_version=engine_version,
        )


class ShardedReplicationGroup(_ProvisionedGroup):
    """A Valkey/Redis OSS replication group with cluster mode enabled: data sharded over hash slots.

    Same secure defaults as ``ReplicationGroup``. Clients connect to ``configuration_endpoint`` with a
    cluster-aware client. Shard count changes are applied online (``UseOnlineResharding`` update policy).

    :param shards: node groups, 1 to the engine's node limit (500, or 250 before Redis OSS 5.0.6). Default: 3.
    :param replicas_per_shard: 0-5. Default: 1.
    :param slot_ranges: one ``"start-end"`` slot range per shard covering 0-16383. Default: ElastiCache's even
        split.
    :param durability: ``Durability.SYNC`` / ``ASYNC`` (Valkey 9.0+; r8g/r7g/r6g/m8g/m7g/m6g/c8gn/c7gn nodes;
        Multi-AZ with a replica per shard; TLS; not with data tiering or a global datastore), decided at creation
        (``SYNC`` <-> ``ASYNC`` later is online). Cluster-mode-disabled groups do not support durability, so
        ``ReplicationGroup`` has no such prop. Default: not set (no durability).
    :param shard_placements: one ``ShardPlacement(primary_az, replica_azs)`` per shard (one replica AZ per
        replica; AZs of ``vpc_subnets``). Emits ``NodeGroupConfiguration`` (with the even slot split unless
        ``slot_ranges`` is given). Default: ElastiCache places the nodes.
    """

    __doc__ = (__doc__ or "") + _COMMON_DOC

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        shards: int = 3,
        replicas_per_shard: int = 1,
        slot_ranges: Sequence[str] | None = None,
        engine_version: EngineVersion = EngineVersion.VALKEY_8_1,
        node_type: NodeType | str = NodeType.R7G_LARGE,
        eviction_policy: EvictionPolicy | str | None = None,
        parameter_group: IParameterGroup | None = None,
        authentication: Authentication | None = None,
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        kms_key: kms.IKey | None = None,
        port: int = DEFAULT_PORT,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        multi_az: bool | None = None,
        data_tiering: bool = False,
        snapshot_retention_days: int = 1,
        snapshot_window: str | None = None,
        maintenance_window: str | None = None,
        auto_minor_version_upgrade: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT,
        replication_group_id: str | None = None,
        description: str | None = None,
        slow_log: LogDeliveryOption = None,
        engine_log: LogDeliveryOption = None,
        restore_from: Restore | None = None,
        network_type: NetworkType | str | None = None,
        ip_discovery: IpDiscovery | str | None = None,
        notification_topic: sns.ITopic | None = None,
        shard_placements: Sequence[ShardPlacement] | None = None,
        durability: Durability | str | None = None,
    ) -> None:
        self.shard_placements = shard_placements
        if isinstance(engine_version, EngineVersion):
            limit = engine_version.max_nodes_per_cluster
            check_range("shards", shards, 1, limit)
            validate_replicas("replicas_per_shard", replicas_per_shard)
            if not is_unresolved(shards) and not is_unresolved(replicas_per_shard):
                nodes = shards * (replicas_per_shard + 1)
                if nodes > limit:
                    raise fail(
                        "shards",
                        shards,
                        f"{shards} shards x {replicas_per_shard + 1} nodes = {nodes} nodes; "
                        f"{engine_version} allows at most {limit}",
                    )
        self.shards = shards
        self.replicas_per_shard = replicas_per_shard
        self.slot_ranges = validate_slot_ranges(slot_ranges, shards) if slot_ranges is not None else None
        super().__init__(
            scope, id, cluster_mode=True, replicas=replicas_per_shard, replicas_prop="replicas_per_shard", vpc=vpc,
            engine_version=engine_version, node_type=node_type, eviction_policy=eviction_policy,
            parameter_group=parameter_group, authentication=authentication, transit_encryption=transit_encryption,
            kms_key=kms_key, port=port, vpc_subnets=vpc_subnets, security_groups=security_groups, multi_az=multi_az,
            data_tiering=data_tiering, snapshot_retention_days=snapshot_retention_days,
            snapshot_window=snapshot_window, maintenance_window=maintenance_window,
            auto_minor_version_upgrade=auto_minor_version_upgrade, removal_policy=removal_policy,
            replication_group_id=replication_group_id, description=description,
            slow_log=slow_log, engine_log=engine_log, restore_from=restore_from, network_type=network_type,
            ip_discovery=ip_discovery, notification_topic=notification_topic, durability=durability,
        )
        # Changing NumNodeGroups replaces the group unless online resharding is allowed.
        self.resource.cfn_options.update_policy = CfnUpdatePolicy(use_online_resharding=True)
        #: Shard / replica auto scaling, once configured (``auto_scale_shards`` / ``auto_scale_replicas``).
        self.shard_auto_scaling: ShardAutoScaling | None = None
        self.replica_auto_scaling: ReplicaAutoScaling | None = None
        #: Cluster configuration endpoint (discovers every shard).
        self.configuration_endpoint = Endpoint(
            self.resource.attr_configuration_end_point_address, self.resource.attr_configuration_end_point_port
        )

    def _topology(self) -> dict[str, Any]:
        topology: dict[str, Any] = {"cluster_mode": "enabled", "num_node_groups": self.shards}
        slot_ranges = self.slot_ranges
        # Seeding a cluster-mode group from S3 needs NodeGroupConfiguration with every shard's slots:
        # https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
        # (NodeGroupConfiguration: "required when seeding a ... (cluster mode enabled) cluster from a S3 rdb file").
        needs_layout = self.shard_placements is not None or (self.restore_from is not None and self.restore_from.is_s3)
        if slot_ranges is None and needs_layout:
            if is_unresolved(self.shards):
                raise fail("shards", self.shards, "an S3 seed or shard_placements need a literal shard count")
            slot_ranges = even_slot_ranges(self.shards)
        if slot_ranges is None:
            topology["replicas_per_node_group"] = self.replicas_per_shard
            return topology
        placements: list[ShardPlacement | None] = (
            list(self.shard_placements) if self.shard_placements else [None] * len(slot_ranges)
        )
        topology["node_group_configuration"] = [
            elasticache.CfnReplicationGroup.NodeGroupConfigurationProperty(
                node_group_id=f"{i + 1:04d}", slots=slots, replica_count=self.replicas_per_shard,
                primary_availability_zone=placement.primary_az if placement else None,
                replica_availability_zones=list(placement.replica_azs) if placement and placement.replica_azs
                else None,
            )
            for i, (slots, placement) in enumerate(zip(slot_ranges, placements, strict=True))
        ]
        return topology

    def _validate_placement(self, subnet_azs: list[str], multi_az: bool) -> None:
        self.shard_placements = validate_shard_placements(
            self.shard_placements, self.shards, self.replicas_per_shard, subnet_azs
        )
        # Synth-time: replica auto scaling may still be configured after construction.
        self.node.add_validation(_ShardedTraps(self))

    @property
    def endpoint(self) -> Endpoint:
        return self.configuration_endpoint

    @property
    def has_node_group_configuration(self) -> bool:
        """True when the template lists every shard (slot ranges, placements or an S3 seed)."""
        return self.resource.node_group_configuration is not None

    # -- metrics ---------------------------------------------------------------------------------------------
    def member_cluster_ids(self) -> list[str]:
        """``<id>-<shard:04d>-<node:03d>`` for every shard and node, up to the auto scaling maximums when auto
        scaling is configured (members that do not exist yet simply have no data)."""
        shards = self.shard_auto_scaling.max_capacity if self.shard_auto_scaling else self.shards
        replicas = self.replica_auto_scaling.max_capacity if self.replica_auto_scaling else self.replicas_per_shard
        if is_unresolved(shards) or is_unresolved(replicas):
            raise fail(
                "shards", shards, "metrics need literal shards and replicas_per_shard to name the member clusters"
            )
        return [
            self._member_id(f"-{shard:04d}-{node:03d}")
            for shard in range(1, shards + 1)
            for node in range(1, replicas + 2)
        ]

    def monitored_kinds(self) -> frozenset[str]:
        """Without replicas (and no replica auto scaling) there is no replication lag."""
        kinds = super().monitored_kinds()
        replicas = self.replica_auto_scaling.max_capacity if self.replica_auto_scaling else self.replicas_per_shard
        return kinds if is_unresolved(replicas) or replicas > 0 else kinds - {"replication_lag"}

    # -- auto scaling ----------------------------------------------------------------------------------------
    def auto_scale_shards(self, *, min_capacity: int, max_capacity: int) -> ShardAutoScaling:
        """Application Auto Scaling of the shard count; add policies with ``.scale_on_cpu()``,
        ``.scale_on_memory()`` or ``.scale_on_capacity()``. Call it before ``add_alarms``/dashboards so their
        metrics cover the shards it may add.

        :param min_capacity: fewest shards, 1 or more, at most the current ``shards``.
        :param max_capacity: most shards, at least the current ``shards``; with the nodes per shard within the
            engine's node limit.
        """
        if self.shard_auto_scaling is not None:
            raise fail("auto_scale_shards", self.node.path, "shard auto scaling is already configured")
        self._check_no_alarms_yet("auto_scale_shards")
        assert self.engine_version is not None
        validate_auto_scaling_support(self.engine_version, self.node_type, self.node_type.data_tiering)
        validate_shard_bounds(self, min_capacity, max_capacity)
        self.shard_auto_scaling = ShardAutoScaling(
            self, "ShardScaling", group=self, min_capacity=min_capacity, max_capacity=max_capacity
        )
        return self.shard_auto_scaling

    def _check_no_alarms_yet(self, method: str) -> None:
        """Alarms enumerate the member clusters when created; afterwards they would miss scaled-out members."""
        if any(isinstance(child, CacheAlarms) for child in self.node.children):
            raise fail(method, self.node.path, "call it before add_alarms() so the alarms cover the members it may add")

    def auto_scale_replicas(self, *, min_capacity: int, max_capacity: int) -> ReplicaAutoScaling:
        """Application Auto Scaling of the replicas per shard (uniform across shards); add the policy with
        ``.scale_on_cpu()``.

        :param min_capacity: fewest replicas per shard, 0-5 (1 or more with Multi-AZ), at most the current count.
        :param max_capacity: most replicas per shard, up to 5, at least the current count.
        """
        if self.replica_auto_scaling is not None:
            raise fail("auto_scale_replicas", self.node.path, "replica auto scaling is already configured")
        self._check_no_alarms_yet("auto_scale_replicas")
        assert self.engine_version is not None
        validate_auto_scaling_support(self.engine_version, self.node_type, self.node_type.data_tiering)
        validate_replica_bounds(self, min_capacity, max_capacity)
        self.replica_auto_scaling = ReplicaAutoScaling(
            self, "ReplicaScaling", group=self, min_capacity=min_capacity, max_capacity=max_capacity
        )
        return self.replica_auto_scaling

    @staticmethod
    def from_replication_group_attributes(
        scope: Construct,
        id: str,
        *,
        replication_group_id: str,
        configuration_endpoint_address: str,
        port: int = DEFAULT_PORT,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        transit_encryption: TransitEncryption = TransitEncryption.REQUIRED,
        auth_secret: secretsmanager.ISecret | None = None,
        engine_version: EngineVersion | None = None,
    ) -> ReplicationGroupBase:
        """An existing cluster-mode replication group."""
        validate_replication_group_id(replication_group_id)
        return _ImportedReplicationGroup(
            scope, id, replication_group_id=replication_group_id,
            endpoint=Endpoint(configuration_endpoint_address, port), security_groups=security_groups,
            cluster_mode=True, transit_encryption=transit_encryption, auth_secret=auth_secret,
            engine_version=engine_version,
        )


@jsii.implements(IValidation)
class _ShardedTraps:
    """Synth-time change-safety warnings of a cluster-mode group (after auto scaling had its chance)."""

    def __init__(self, group: ShardedReplicationGroup) -> None:
        self.group = group

    def validate(self) -> list[str]:
        group = self.group
        replicas = group.replicas_per_shard
        scaling = group.replica_auto_scaling
        if is_unresolved(replicas):
            return []
        if replicas == 0 and (scaling is None or scaling.min_capacity < 1):
            change_safety.warn(group, "cluster-mode-zero-replicas", "replicas_per_shard=0")
        # ReplicasPerNodeGroup alone changes in place (coverage-roadmap #918, fixed 2026-07-01); with a
        # NodeGroupConfiguration in the template a replica-count change still fails or replaces.
        if scaling is None and group.has_node_group_configuration:
            change_safety.warn(group, "replicas-with-node-group-configuration", f"replicas_per_shard={replicas}")
        return []


__all__ = [
    "MAX_REPLICAS",
    "TOTAL_SLOTS",
    "IReplicationGroup",
    "IpDiscovery",
    "NetworkType",
    "ReplicationGroup",
    "ReplicationGroupBase",
    "Restore",
    "ShardPlacement",
    "ShardedReplicationGroup",
    "even_slot_ranges",
]
