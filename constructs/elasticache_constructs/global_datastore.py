"""Global Datastore: cross-region replication of a Valkey/Redis OSS replication group.

``GlobalDatastore(primary_stack, "Global", primary=group)`` creates an ``AWS::ElastiCache::GlobalReplicationGroup``
whose only declared member is the primary (role ``PRIMARY``). ``add_secondary(secondary_stack, "Eu", vpc=...)``
creates, in a stack of another region, an ``AWS::ElastiCache::ReplicationGroup`` with ``GlobalReplicationGroupId``
set to the global datastore's ``Fn::GetAtt GlobalReplicationGroupId``. That value crosses regions through CDK's
cross-region references (the secondary stack needs ``cross_region_references=True``): an SSM parameter written by
a custom resource in the primary stack and read by one in the secondary stack, and a stack dependency, so
``cdk deploy --all`` deploys primary -> secondary with no hand-copied identifier.

A secondary inherits from the global datastore, and therefore never sets: engine, engine version, node type,
parameter group (ElastiCache attaches a ``global-datastore-*`` one), number of shards, cluster mode, AUTH token,
in-transit and at-rest encryption, data tiering. It may set its own subnets, security groups, port, replica count,
Multi-AZ and (at-rest) KMS key of its region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Acknowledgment, Fn, Names, RemovalPolicy, Resource, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ._network import subnet_kwargs
from ._validation import check_range, fail, implements, is_unresolved
from .auth import TransitEncryption
from .endpoint import Endpoint
from .engine import EngineVersion
from .node_type import NodeType
from .replication_group import (
    MAX_REPLICAS,
    ReplicationGroupBase,
    _ProvisionedGroup,
    validate_description,
    validate_replication_group_id,
)

#: A global datastore replicates to at most two secondary regions.
MAX_SECONDARIES = 2
#: The China regions replicate only with each other.
CHINA_REGIONS = frozenset({"cn-north-1", "cn-northwest-1"})
#: Longest ``GlobalReplicationGroupIdSuffix`` this construct generates or accepts (same as a replication group id).
MAX_SUFFIX_LENGTH = 40

_SUFFIX_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$")


def _concrete_region(stack: Stack, prop: str) -> str:
    region = stack.region
    if is_unresolved(region):
        raise fail(
            prop,
            stack.node.path,
            "a global datastore needs stacks with a concrete region: pass env=Environment(account=..., region=...)",
        )
    return str(region)


def _region_of(obj: Any) -> str | None:
    """The concrete region of a construct or imported resource (``None`` when unknown)."""
    env = getattr(obj, "env", None)
    region = getattr(env, "region", None) if env is not None else None
    if region is None or is_unresolved(region):
        return None
    return str(region)


def validate_suffix(suffix: str | None) -> None:
    """Letters, digits and single hyphens, starting with a letter, at most ``MAX_SUFFIX_LENGTH`` characters."""
    if suffix is None or is_unresolved(suffix):
        return
    if not 1 <= len(suffix) <= MAX_SUFFIX_LENGTH or not _SUFFIX_RE.match(suffix):
        raise fail(
            "global_replication_group_id_suffix",
            suffix,
            f"must be 1-{MAX_SUFFIX_LENGTH} letters, digits or single hyphens, starting with a letter and not "
            "ending with a hyphen",
        )


def validate_primary(primary: Any) -> _ProvisionedGroup:
    """A ``ReplicationGroup``/``ShardedReplicationGroup`` of this library on an engine and node type with Global
    Datastore support, authenticated by AUTH token or not at all."""
    if not isinstance(primary, _ProvisionedGroup):
        raise fail(
            "primary",
            type(primary).__name__,
            "pass a ReplicationGroup or ShardedReplicationGroup defined in this app "
            "(imported groups are not supported)",
        )
    engine_version: EngineVersion = primary.engine_version  # type: ignore[assignment]
    if not engine_version.supports_global_datastore:
        raise fail("primary", str(engine_version), "Global Datastore needs valkey or redis 5.0.6+")
    node_type: NodeType = primary.node_type
    # "Global datastores are supported on the following instance families in size large and above: M5, M6g, M7g, R5,
    # R6g, R6gd, R7g, and C7gn." https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Getting-Started.html
    if node_type.is_known and not node_type.global_datastore:
        supported = sorted({n.family for n in NodeType.catalog() if n.global_datastore})
        raise fail(
            "primary",
            f"node type {node_type.name}",
            "Global Datastore needs one of the node families " + ", ".join(supported) + " (large and up)",
        )
    durability = getattr(primary, "durability", None)
    if durability is not None and durability.enabled:
        # "Durability is not supported with Global Datastores"
        # https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Durability.Limitations.html
        raise fail("primary", f"durability {durability.value}", "durable groups cannot join a global datastore")
    network_type = getattr(primary, "network_type", None)
    if network_type is not None and str(getattr(network_type, "value", network_type)).lower() == "ipv6":
        # "Global datastores don't support Internet Protocol version 6 (IPv6)." (Prerequisites and limitations)
        raise fail("primary", "network_type ipv6", "global datastores do not support IPv6-only groups")
    if primary.authentication.kind == "user_group":
        raise fail(
            "primary",
            "authentication user_group",
            "GlobalDatastore supports AUTH-token or no authentication: user groups are regional resources this "
            "construct does not replicate",
        )
    return primary


def validate_regions(primary_region: str, secondary_region: str, taken: Sequence[str]) -> None:
    """Regions differ, China regions pair only with each other, at most ``MAX_SECONDARIES`` secondaries."""
    if secondary_region == primary_region:
        raise fail(
            "scope", secondary_region, f"a secondary must be in another region than the primary ({primary_region})"
        )
    if secondary_region in taken:
        raise fail("scope", secondary_region, "this global datastore already has a secondary in that region")
    if len(taken) >= MAX_SECONDARIES:
        raise fail(
            "add_secondary",
            len(taken) + 1,
            f"a global datastore has at most {MAX_SECONDARIES} secondary regions (it has {', '.join(taken)})",
        )
    if (primary_region in CHINA_REGIONS) != (secondary_region in CHINA_REGIONS) or (
        primary_region.startswith("cn-")
        and secondary_region.startswith("cn-")
        and {primary_region, secondary_region} != set(CHINA_REGIONS)
    ):
        raise fail(
            "scope",
            secondary_region,
            f"China regions replicate only between {' and '.join(sorted(CHINA_REGIONS))} (primary: {primary_region})",
        )


def _replica_secret_arn(primary_secret_arn: str, region: str) -> str:
    """The ARN of a secret's replica in ``region``: the same ARN with its region field replaced."""
    parts = Fn.split(":", primary_secret_arn, 7)
    return Fn.join(":", [parts[0], parts[1], parts[2], region, parts[4], parts[5], parts[6]])


class GlobalDatastore(Resource):
    """A global datastore with ``primary`` as its primary member; add read-only secondaries in other regions.

    :param primary: a ``ReplicationGroup`` or ``ShardedReplicationGroup`` of a stack with a concrete region, on
        Valkey or Redis OSS 5.0.6+, on a node type with Global Datastore support (m5/m6g/m7g/r5/r6g/r6gd/r7g/c7gn,
        large and up), with AUTH-token or no authentication, without durability.
    :param global_replication_group_id_suffix: name of the datastore; ElastiCache prefixes it with a region code
        (read the full id from ``global_replication_group_id``). Default: derived from the construct path.
    :param description: Default: the construct path.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        primary: ReplicationGroupBase,
        global_replication_group_id_suffix: str | None = None,
        description: str | None = None,
    ) -> None:
        group = validate_primary(primary)
        validate_suffix(global_replication_group_id_suffix)
        validate_description(description)
        primary_stack = Stack.of(group)
        region = _concrete_region(primary_stack, "primary")
        own_region = _concrete_region(Stack.of(scope), "scope")
        if own_region != region:
            raise fail("scope", own_region, f"create the GlobalDatastore in the primary's region ({region})")
        super().__init__(scope, id)
        self.primary = group
        self.region = region
        suffix = global_replication_group_id_suffix or Names.unique_resource_name(
            self, max_length=MAX_SUFFIX_LENGTH, separator="-"
        ).lower().strip("-")
        suffix = re.sub("-+", "-", re.sub("[^a-z0-9-]", "-", suffix)) if not is_unresolved(suffix) else suffix
        self.resource = elasticache.CfnGlobalReplicationGroup(
            self,
            "Resource",
            global_replication_group_id_suffix=suffix,
            global_replication_group_description=description or self.node.path,
            members=[
                elasticache.CfnGlobalReplicationGroup.GlobalReplicationGroupMemberProperty(
                    replication_group_id=group.replication_group_id, replication_group_region=region, role="PRIMARY"
                )
            ],
        )
        #: The full global datastore id (region prefix + suffix), ``Fn::GetAtt GlobalReplicationGroupId``.
        self.global_replication_group_id: str = self.resource.attr_global_replication_group_id
        self.global_replication_group_arn: str = self.resource.attr_arn
        self.global_replication_group_id_suffix = suffix
        self.secondaries: list[SecondaryReplicationGroup] = []

    def add_secondary(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        replicas: int | None = None,
        multi_az: bool | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        kms_key: kms.IKey | None = None,
        auth_secret: secretsmanager.ISecret | None = None,
        replication_group_id: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> SecondaryReplicationGroup:
        """A read-only member in the region of ``scope``'s stack (which needs ``cross_region_references=True``).

        :param vpc: a VPC in the secondary's region.
        :param replicas: read replicas (per shard in cluster mode), 0-5; may differ from the primary's. Default:
            the primary's.
        :param multi_az: Default: on when there is at least one replica.
        :param kms_key: customer managed key of the secondary's region for at-rest encryption. Default: AWS owned.
        :param auth_secret: the AUTH token's secret as clients in the secondary region read it. Default: a replica
            of the primary's generated secret in the secondary's region (added here); for a primary using
            ``token_from_secret`` the primary's secret itself (read cross-region).
        :param removal_policy: Default: ``DESTROY`` (the data lives on in the primary).
        """
        secondary_stack = Stack.of(scope)
        region = _concrete_region(secondary_stack, "scope")
        validate_regions(self.region, region, [s.region for s in self.secondaries])
        primary_stack = Stack.of(self)
        if (
            not is_unresolved(primary_stack.account)
            and not is_unresolved(secondary_stack.account)
            and (primary_stack.account != secondary_stack.account)
        ):
            raise fail(
                "scope", secondary_stack.account, f"a global datastore stays in one account ({primary_stack.account})"
            )
        if replicas is None:
            replicas = self.primary.replicas if not self.primary.cluster_mode else self.primary.replicas_per_shard  # type: ignore[attr-defined]
        check_range("replicas", replicas, 0, MAX_REPLICAS)
        if multi_az is None:
            multi_az = bool(is_unresolved(replicas) or replicas >= 1)
        elif multi_az and not is_unresolved(replicas) and replicas < 1:
            raise fail("multi_az", True, "Multi-AZ needs at least one replica (replicas >= 1)")
        vpc_region = _region_of(vpc)
        if vpc_region is not None and vpc_region != region:
            raise fail("vpc", vpc_region, f"the secondary's VPC must be in its region ({region})")
        if kms_key is not None:
            if not implements(kms_key, kms.IKey):
                raise fail("kms_key", kms_key, "pass a kms.IKey of the secondary's region")
            key_region = _region_of(kms_key)
            if key_region is not None and key_region != region:
                raise fail("kms_key", key_region, f"the secondary's key must be in its region ({region})")
        if auth_secret is not None and not implements(auth_secret, secretsmanager.ISecret):
            raise fail("auth_secret", auth_secret, "pass a secretsmanager.ISecret")
        validate_replication_group_id(replication_group_id)
        validate_description(description)
        secondary = SecondaryReplicationGroup(
            scope,
            id,
            datastore=self,
            region=region,
            vpc=vpc,
            replicas=replicas,
            multi_az=multi_az,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            kms_key=kms_key,
            auth_secret=auth_secret,
            replication_group_id=replication_group_id,
            description=description,
            removal_policy=removal_policy,
        )
        self.secondaries.append(secondary)
        return secondary


class SecondaryReplicationGroup(ReplicationGroupBase):
    """A global datastore's read-only member in another region. Create it with ``GlobalDatastore.add_secondary``.

    Engine, node type, shards and encryption come from the global datastore; clients use the primary's AUTH token.
    ``endpoint`` is the primary endpoint (cluster mode disabled) or configuration endpoint: read-only until the
    secondary is promoted (``FailoverGlobalReplicationGroup``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        datastore: GlobalDatastore,
        region: str,
        vpc: ec2.IVpc,
        replicas: int,
        multi_az: bool,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
        kms_key: kms.IKey | None,
        auth_secret: secretsmanager.ISecret | None,
        replication_group_id: str | None,
        description: str | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id, physical_name=replication_group_id)
        primary = datastore.primary
        self.datastore = datastore
        self.region = region
        self.replicas = replicas
        self.multi_az = multi_az
        self.cluster_mode = primary.cluster_mode
        self.engine_version = primary.engine_version
        self.node_type = primary.node_type
        self.transit_encryption: TransitEncryption = primary.transit_encryption
        self.port = primary.port
        self._user_group = None

        subnets = vpc.select_subnets(**subnet_kwargs(vpc_subnets))
        if multi_az and not is_unresolved(subnets.availability_zones) and len(set(subnets.availability_zones)) < 2:
            raise fail(
                "vpc_subnets",
                list(subnets.availability_zones),
                "Multi-AZ needs subnets in at least 2 availability zones",
            )
        if security_groups is None:
            security_groups = [
                ec2.SecurityGroup(
                    self,
                    "SecurityGroup",
                    vpc=vpc,
                    allow_all_outbound=False,
                    description=f"ElastiCache {self.node.path}: no ingress until granted",
                )
            ]
        self.connections = ec2.Connections(security_groups=list(security_groups), default_port=ec2.Port.tcp(self.port))
        self.subnet_group = elasticache.CfnSubnetGroup(
            self,
            "SubnetGroup",
            description=f"Subnets of {self.node.path}",
            subnet_ids=subnets.subnet_ids,
        )
        topology: dict[str, Any] = (
            {"replicas_per_node_group": replicas} if self.cluster_mode else {"num_cache_clusters": replicas + 1}
        )
        # Everything else (engine, version, node type, parameter group, shards, AUTH, TLS, at-rest encryption)
        # is inherited from the global datastore and must not be set here.
        self.resource = elasticache.CfnReplicationGroup(
            self,
            "Resource",
            replication_group_description=description or self.node.path,
            replication_group_id=replication_group_id,
            global_replication_group_id=datastore.global_replication_group_id,
            cache_subnet_group_name=self.subnet_group.ref,
            security_group_ids=[sg.security_group_id for sg in security_groups],
            port=self.port,
            multi_az_enabled=multi_az,
            kms_key_id=kms_key.key_arn if kms_key else None,
            **topology,
        )
        self.resource.apply_removal_policy(removal_policy)
        self._acknowledge_inherited_settings()
        self.replication_group_id = self.resource.ref
        self.auth_secret = self._resolve_auth_secret(primary, auth_secret)
        if self.cluster_mode:
            self._endpoint = Endpoint(
                self.resource.attr_configuration_end_point_address, self.resource.attr_configuration_end_point_port
            )
            self.reader_endpoint: Endpoint | None = None
        else:
            self._endpoint = Endpoint(
                self.resource.attr_primary_end_point_address, self.resource.attr_primary_end_point_port
            )
            self.reader_endpoint = Endpoint(
                self.resource.attr_reader_end_point_address, self.resource.attr_reader_end_point_port
            )

    def _acknowledge_inherited_settings(self) -> None:
        """Acknowledge cdk-nag findings that only exist because a secondary must not declare inherited settings."""
        engine = self.engine_version.engine.value if self.engine_version else "redis"
        primary = self.datastore.primary
        reasons: dict[str, str] = {}
        if primary.transit_encryption.enabled:  # at-rest encryption is always on in this library
            reasons["AwsSolutions-AEC3"] = (
                "In-transit and at-rest encryption are inherited from the global datastore's primary, which enables "
                "both; a secondary replication group must not declare them."
            )
        if primary.authentication.uses_token:
            reasons["AwsSolutions-AEC6"] = (
                "The AUTH token is inherited from the global datastore's primary; a secondary replication group "
                "must not declare AuthToken."
            )
        if self.port != 6379 or engine != "redis":
            reasons["AwsSolutions-AEC5"] = (
                f"The engine ({engine}) is inherited from the global datastore and not declared here, so the rule "
                "reads the missing Engine as redis; the port is the primary's."
            )
        for rule, reason in reasons.items():
            Validations.of(self.resource).acknowledge(Acknowledgment(id=rule, reason=reason))

    def _resolve_auth_secret(
        self, primary: ReplicationGroupBase, given: secretsmanager.ISecret | None
    ) -> secretsmanager.ISecret | None:
        """The secret clients in this region read: given, a replica of the primary's generated secret, or the
        primary's own secret (an imported one cannot be replicated from here)."""
        if given is not None:
            return given
        secret = primary.auth_secret
        if secret is None:
            return None
        if isinstance(secret, secretsmanager.Secret) and not is_unresolved(self.region):
            secret.add_replica_region(self.region)
            arn = _replica_secret_arn(secret.secret_arn, self.region)
            return secretsmanager.Secret.from_secret_complete_arn(self, "AuthTokenReplica", arn)
        return secret

    @property
    def endpoint(self) -> Endpoint:
        """Primary endpoint (cluster mode disabled) or configuration endpoint of this member (read-only)."""
        return self._endpoint

    def member_cluster_ids(self) -> list[str]:
        """Member clusters CloudWatch publishes metrics for: ``<id>-00n``, or ``<id>-<shard:04d>-<node:03d>`` with
        the primary's shard count in cluster mode."""
        if not self.cluster_mode:
            return [self._member_id(f"-{n:03d}") for n in range(1, self.replicas + 2)]
        shards = getattr(self.datastore.primary, "shards", None)
        if not isinstance(shards, int) or is_unresolved(shards):
            raise fail("shards", shards, "metrics need the primary's literal shard count to name the member clusters")
        return [
            self._member_id(f"-{shard:04d}-{node:03d}")
            for shard in range(1, shards + 1)
            for node in range(1, self.replicas + 2)
        ]


__all__ = ["MAX_SECONDARIES", "GlobalDatastore", "SecondaryReplicationGroup"]
