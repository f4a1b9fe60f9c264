"""From CloudFormation templates to a local topology plan (and the templates' outputs, evaluated locally).

:class:`World` holds every stack of the assembly with one :class:`~.intrinsics.Resolver` each, the local secret
values and, once ports are allocated, the loopback endpoints that ``Fn::GetAtt`` on cache resources returns.
:func:`build_plan` turns each ElastiCache resource into a :class:`~.model.RedisPlan` or
:class:`~.model.MemcachedPlan`, or a :class:`~.model.Skipped` entry with the reason.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from typing import Any

from .acl import AclUser, parse_access_string
from .assembly import Assembly, StackTemplate
from .errors import EmulatorError
from .intrinsics import NO_VALUE, Resolver, as_bool, as_int, is_placeholder, partition_of, placeholder, to_cfn_string
from .model import (
    DEFAULT_EVICTION_POLICY,
    EVICTION_POLICIES,
    MemcachedPlan,
    Plan,
    RedisPlan,
    ShardPlan,
    Skipped,
    check_coverage,
    even_slots,
    parse_slots,
)
from .nodetypes import DEFAULT_BYTES, MIB, local_maxmemory, memory_gib
from .secrets_store import SecretStore, secret_string_for

RG = "AWS::ElastiCache::ReplicationGroup"
SERVERLESS = "AWS::ElastiCache::ServerlessCache"
CACHE_CLUSTER = "AWS::ElastiCache::CacheCluster"
PARAM_GROUP = "AWS::ElastiCache::ParameterGroup"
USER = "AWS::ElastiCache::User"
USER_GROUP = "AWS::ElastiCache::UserGroup"
GLOBAL_RG = "AWS::ElastiCache::GlobalReplicationGroup"
SECRET = "AWS::SecretsManager::Secret"

#: ElastiCache resource types that are not processes themselves, and what becomes of them.
ABSORBED = {
    PARAM_GROUP: "applied as server configuration of the caches that use it",
    USER: "applied as an ACL user on the caches whose user group holds it",
    USER_GROUP: "applied as the ACL of the caches that use it",
    GLOBAL_RG: "applied as replication from the primary group to the secondary groups",
}
NOT_NEEDED = {
    "AWS::ElastiCache::SubnetGroup": "subnets have no local meaning (everything listens on 127.0.0.1)",
    "AWS::ElastiCache::SecurityGroup": "network access control has no local meaning (loopback only)",
    "AWS::ElastiCache::SecurityGroupIngress": "network access control has no local meaning (loopback only)",
}

#: Parameters that have no Redis OSS equivalent (or are applied another way), with the reason.
ELASTICACHE_ONLY_PARAMETERS = {
    "cluster-enabled": "applied as the topology (cluster mode), not as a setting",
    "reserved-memory": "ElastiCache memory reservation; no Redis OSS setting",
    "reserved-memory-percent": "ElastiCache memory reservation; no Redis OSS setting",
    "close-on-replica-write": "ElastiCache-only setting",
    "close-on-slave-write": "ElastiCache-only setting",
    "appendonly": "persistence is not emulated (data lives in memory only)",
    "appendfsync": "persistence is not emulated (data lives in memory only)",
    "cluster-allow-pubsubshard-when-down": "not applied: keeps Redis OSS 7.0 default",
    "maxmemory": "derived from the node type (documented scale factor)",
}
#: Settings Redis only accepts at start-up: written into redis.conf instead of CONFIG SET.
STARTUP_PARAMETERS = {"databases"}
_OUTPUT_BUFFER_DEFAULTS = {
    "normal": ("0", "0", "0"), "replica": ("256mb", "64mb", "60"), "pubsub": ("32mb", "8mb", "60"),
}

ENDPOINT_ATTRS = {
    "PrimaryEndPoint", "ReaderEndPoint", "ConfigurationEndPoint", "ConfigurationEndpoint", "Endpoint",
    "ReaderEndpoint", "RedisEndpoint", "ReadEndPoint",
}
LOOPBACK = "127.0.0.1"


class PlanError(ValueError):
    """A resource cannot be emulated; the message says why."""


def _stable_suffix(*parts: str, n: int = 8) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:n]


class World:
    """All stacks of an assembly, resolvable together (cross-stack imports, secrets, local endpoints)."""

    def __init__(
        self,
        assembly: Assembly,
        parameter_overrides: dict[str, dict[str, str]] | None = None,
        secrets: list[dict[str, str]] | None = None,
    ) -> None:
        self.assembly = assembly
        self.stacks = {s.name: s for s in assembly.stacks}
        self.store = SecretStore()
        self.store.restore(secrets or [])
        self.endpoints: dict[tuple[str, str], dict[str, str]] = {}
        self._physical: dict[tuple[str, str], Any] = {}
        self._props: dict[tuple[str, str], dict[str, Any]] = {}
        self._in_progress: set[tuple[str, str]] = set()
        self._exports: dict[str, tuple[str, str]] | None = None
        overrides = parameter_overrides or {}
        self.resolvers: dict[str, Resolver] = {}
        for stack in assembly.stacks:
            self.resolvers[stack.name] = Resolver(
                stack_name=stack.name,
                template=stack.template,
                region=stack.region,
                account=stack.account,
                ref=functools.partial(self.ref, stack.name),
                get_att=functools.partial(self.get_att, stack.name),
                secret=self.store.value,
                import_value=self.import_value,
                ssm=self._ssm,
                parameter_overrides=overrides.get(stack.name, {}),
            )

    # ----------------------------------------------------------------------------------------------- lookups
    @property
    def warnings(self) -> list[str]:
        """Every resolver's warnings."""
        out: list[str] = []
        for r in self.resolvers.values():
            out += [w for w in r.warnings if w not in out]
        return out

    def resource(self, stack: str, logical: str) -> dict[str, Any]:
        """The raw resource definition."""
        return self.stacks[stack].resources.get(logical) or {}

    def rtype(self, stack: str, logical: str) -> str:
        """The resource's type."""
        return str(self.resource(stack, logical).get("Type", ""))

    def props(self, stack: str, logical: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved (memoized)."""
        key = (stack, logical)
        if key not in self._props:
            raw = self.resource(stack, logical).get("Properties") or {}
            resolved = self.resolvers[stack].resolve(raw)
            self._props[key] = resolved if isinstance(resolved, dict) else {}
        return self._props[key]

    def ref(self, stack: str, logical: str) -> Any:
        """``Ref`` of a resource: its physical id as CloudFormation returns it (deterministic locally)."""
        key = (stack, logical)
        if key in self._physical:
            return self._physical[key]
        if key in self._in_progress:
            return placeholder(f"Ref:{logical}")
        self._in_progress.add(key)
        try:
            value = self._compute_physical(stack, logical)
        finally:
            self._in_progress.discard(key)
        self._physical[key] = value
        return value

    def _compute_physical(self, stack: str, logical: str) -> Any:
        rtype = self.rtype(stack, logical)
        st = self.stacks[stack]
        generated = f"{logical.lower()[:30]}-{_stable_suffix(stack, logical)}"
        if rtype == SECRET:
            props = self.props(stack, logical)
            name = str(props.get("Name") or f"{logical}-{_stable_suffix(stack, logical, n=12)}")
            return self.store.add(
                name=name, value=secret_string_for(props), region=st.region, account=st.account,
                stack=stack, logical_id=logical,
            )
        id_props = {
            RG: "ReplicationGroupId",
            SERVERLESS: "ServerlessCacheName",
            CACHE_CLUSTER: "ClusterName",
            USER: "UserId",
            USER_GROUP: "UserGroupId",
            "AWS::ElastiCache::SubnetGroup": "CacheSubnetGroupName",
        }
        if rtype in id_props:
            value = self.props(stack, logical).get(id_props[rtype])
            if value and not is_placeholder(value):
                return str(value).lower() if rtype in (RG, CACHE_CLUSTER) else str(value)
            return generated
        if rtype == GLOBAL_RG:
            suffix = self.props(stack, logical).get("GlobalReplicationGroupIdSuffix") or generated
            return f"local-{suffix}"
        return generated

    def _ssm(self, name: str) -> Any:
        """SSM dynamic references: CDK's cross-region exports resolve locally, anything else does not."""
        if name.startswith("/cdk/exports/"):
            value = self.cross_region_export(name)
            return None if is_placeholder(value) else value
        return None

    def get_att(self, stack: str, logical: str, attr: str) -> Any:
        """``Fn::GetAtt``: loopback endpoints for emulated caches, ARNs and ids for the rest."""
        key = (stack, logical)
        if key in self.endpoints and attr in self.endpoints[key]:
            return self.endpoints[key][attr]
        if attr.split(".")[0] in ENDPOINT_ATTRS:
            return placeholder(f"{logical}.{attr}")
        rtype = self.rtype(stack, logical)
        st = self.stacks.get(stack)
        region = st.region if st else "us-east-1"
        account = st.account if st else "123456789012"
        arn_kinds = {
            RG: "replicationgroup", SERVERLESS: "serverlesscache", CACHE_CLUSTER: "cluster", USER: "user",
            USER_GROUP: "usergroup", PARAM_GROUP: "parametergroup",
        }
        if attr in ("Arn", "ARN") and rtype in arn_kinds:
            prefix = f"arn:{partition_of(region)}:elasticache:{region}:{account}"
            return f"{prefix}:{arn_kinds[rtype]}:{self.ref(stack, logical)}"
        if rtype == SECRET and attr in ("Id", "Arn"):
            return self.ref(stack, logical)
        if rtype == GLOBAL_RG and attr == "GlobalReplicationGroupId":
            return self.ref(stack, logical)
        if rtype == "Custom::CrossRegionExportReader":
            return self.cross_region_export(attr)
        if attr in ("Status",):
            return "available"
        if rtype == "AWS::EC2::SecurityGroup" and attr == "GroupId":
            return f"sg-{_stable_suffix(stack, logical, n=17)}"
        return placeholder(f"{logical}.{attr}")

    def import_value(self, name: str) -> Any:
        """``Fn::ImportValue``: another stack's output exported as ``name``."""
        if self._exports is None:
            self._exports = {}
            for st in self.stacks.values():
                for out_key, out in st.outputs.items():
                    export = (out.get("Export") or {}).get("Name")
                    if export is not None:
                        exp_name = self.resolvers[st.name].resolve_str(export)
                        self._exports[exp_name] = (st.name, out_key)
        target = self._exports.get(name)
        if target is None:
            return placeholder(f"ImportValue:{name}")
        st_name, out_key = target
        return self.resolvers[st_name].resolve(self.stacks[st_name].outputs[out_key].get("Value"))

    def cross_region_export(self, name: str) -> Any:
        """A CDK cross-region reference (``/cdk/exports/...``): the value the writer stack exports under ``name``."""
        for st in self.stacks.values():
            for res in st.resources.values():
                if res.get("Type") != "Custom::CrossRegionExportWriter":
                    continue
                exports = ((res.get("Properties") or {}).get("WriterProps") or {}).get("exports") or {}
                if name in exports:
                    return self.resolvers[st.name].resolve(exports[name])
        return placeholder(f"cross-region export {name}")

    def find_physical(self, rtype: str, physical: str) -> tuple[str, str] | None:
        """The (stack, logical id) of the resource of ``rtype`` whose ``Ref`` is ``physical``."""
        for st in self.stacks.values():
            for logical, res in st.resources.items():
                if res.get("Type") == rtype and str(self.ref(st.name, logical)) == str(physical):
                    return (st.name, logical)
        return None

    # ----------------------------------------------------------------------------------------------- outputs
    def evaluate_outputs(self) -> dict[str, dict[str, str]]:
        """Every stack's ``Outputs`` evaluated locally, ``cdk deploy --outputs-file`` shaped."""
        result: dict[str, dict[str, str]] = {}
        for st in self.stacks.values():
            resolver = self.resolvers[st.name]
            values: dict[str, str] = {}
            for key, out in st.outputs.items():
                cond = out.get("Condition")
                if cond and not resolver.condition(str(cond)):
                    continue
                value = resolver.resolve(out.get("Value"))
                if value is NO_VALUE:
                    continue
                values[key] = to_cfn_string(value)
            result[st.name] = values
        return result

    def output_references(self, stack: str, output_key: str) -> list[str]:
        """Logical ids of resources an output's value refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``)."""
        out = self.stacks[stack].outputs.get(output_key) or {}
        found: list[str] = []
        resources = self.stacks[stack].resources

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "Ref" and isinstance(v, str) and v in resources:
                        found.append(v)
                    elif k == "Fn::GetAtt":
                        name = v.split(".")[0] if isinstance(v, str) else v[0]
                        if name in resources:
                            found.append(str(name))
                    elif k == "Fn::Sub":
                        text = v if isinstance(v, str) else v[0]
                        for part in str(text).split("${")[1:]:
                            name = part.split("}")[0].split(".")[0]
                            if name in resources:
                                found.append(name)
                        walk(v)
                    else:
                        walk(v)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(out.get("Value"))
        return found


# --------------------------------------------------------------------------------------------------- planning
def build_plan(world: World) -> Plan:
    """Plan every ElastiCache resource of every stack."""
    plan = Plan()
    global_groups = _global_memberships(world)
    pending_secondaries: list[tuple[RedisPlan, tuple[str, str]]] = []
    for st in world.stacks.values():
        others: Counter[str] = Counter()
        for logical, res in st.resources.items():
            rtype = str(res.get("Type", ""))
            where = f"{st.name}/{logical}"
            try:
                if rtype == RG:
                    rplan = _plan_replication_group(world, st, logical)
                    primary = global_groups.get((st.name, logical))
                    if primary is not None and primary != (st.name, logical):
                        pending_secondaries.append((rplan, primary))
                    else:
                        plan.redis.append(rplan)
                elif rtype == SERVERLESS:
                    sp = _plan_serverless(world, st, logical)
                    (plan.memcached if isinstance(sp, MemcachedPlan) else plan.redis).append(sp)  # type: ignore[arg-type]
                elif rtype == CACHE_CLUSTER:
                    cp = _plan_cache_cluster(world, st, logical)
                    if cp is not None:
                        (plan.memcached if isinstance(cp, MemcachedPlan) else plan.redis).append(cp)  # type: ignore[arg-type]
                    else:
                        group = world.props(st.name, logical).get("ReplicationGroupId")
                        plan.skipped.append(Skipped(st.name, logical, rtype,
                                                    f"member of replication group {group}; emulated with that group"))
                elif rtype in NOT_NEEDED:
                    plan.skipped.append(Skipped(st.name, logical, rtype, NOT_NEEDED[rtype]))
                elif rtype in ABSORBED or rtype == SECRET:
                    continue
                elif rtype.startswith("AWS::ElastiCache::"):
                    plan.skipped.append(Skipped(st.name, logical, rtype, "resource type not supported by the emulator"))
                else:
                    others[rtype] += 1
            except (PlanError, EmulatorError, ValueError) as exc:
                reason = str(exc)
                if reason.startswith(where):  # the entry already names the resource
                    reason = reason[len(where):].lstrip(": ")
                plan.skipped.append(Skipped(st.name, logical, rtype, reason))
        if others:
            plan.other_resources[st.name] = dict(sorted(others.items()))
    by_key = {p.key: p for p in plan.redis}
    for secondary, primary_key in pending_secondaries:
        primary_plan = by_key.get(primary_key)
        try:
            if primary_plan is None:
                raise PlanError(f"global datastore primary {primary_key[0]}/{primary_key[1]} is not emulated")
            _make_secondary(secondary, primary_plan, world.props(secondary.stack, secondary.logical_id))
            plan.redis.append(secondary)
        except PlanError as exc:
            plan.skipped.append(Skipped(secondary.stack, secondary.logical_id, RG, str(exc)))
    plan.warnings = world.warnings
    return plan


def _engine(props: dict[str, Any], default: str = "redis") -> str:
    return str(props.get("Engine") or default).lower()


def _global_memberships(world: World) -> dict[tuple[str, str], tuple[str, str]]:
    """Replication group -> its global datastore's primary group (both as (stack, logical id))."""
    globals_: list[tuple[str, str]] = [
        (st.name, logical) for st in world.stacks.values() for logical, r in st.resources.items()
        if r.get("Type") == GLOBAL_RG
    ]
    if not globals_:
        return {}
    primaries: dict[tuple[str, str], tuple[str, str]] = {}
    members: dict[tuple[str, str], tuple[str, str]] = {}
    for key in globals_:
        props = world.props(*key)
        for member in props.get("Members") or []:
            rg = world.find_physical(RG, str(member.get("ReplicationGroupId", "")))
            if rg is None:
                continue
            if str(member.get("Role", "")).upper() == "PRIMARY":
                primaries[key] = rg
        for member in props.get("Members") or []:
            rg = world.find_physical(RG, str(member.get("ReplicationGroupId", "")))
            if rg is not None and key in primaries:
                members[rg] = primaries[key]
    # Secondaries naming the global datastore through their GlobalReplicationGroupId property.
    for st in world.stacks.values():
        for logical, res in st.resources.items():
            if res.get("Type") != RG:
                continue
            gid = world.props(st.name, logical).get("GlobalReplicationGroupId")
            if not gid:
                continue
            gid = str(gid)
            match = None
            for key in globals_:
                phys = str(world.ref(*key))
                suffix = str(world.props(*key).get("GlobalReplicationGroupIdSuffix") or "")
                if gid == phys or (suffix and gid.endswith("-" + suffix)):
                    match = key
            if match is None and len(globals_) == 1:
                match = globals_[0]
            if match is not None and match in primaries:
                members[(st.name, logical)] = primaries[match]
    return members


def _plan_replication_group(world: World, st: StackTemplate, logical: str) -> RedisPlan:
    props = world.props(st.name, logical)
    where = f"{st.name}/{logical}"
    engine = _engine(props)
    pg_params, pg_notes, cluster_pg = _parameter_group(world, st, props.get("CacheParameterGroupName"))
    cluster_mode = _cluster_mode(props, cluster_pg)
    shards = _shards(props, cluster_mode, where)
    node_type = str(props.get("CacheNodeType") or "") or None
    plan = RedisPlan(
        stack=st.name,
        logical_id=logical,
        resource_type="ReplicationGroup",
        group_id=str(world.ref(st.name, logical)),
        engine=engine,
        engine_version=str(props.get("EngineVersion") or "default"),
        cluster_mode=cluster_mode,
        shards=shards,
        automatic_failover=cluster_mode or as_bool(props.get("AutomaticFailoverEnabled")),
        node_type=node_type,
        has_reader=not cluster_mode,
    )
    plan.notes += pg_notes
    plan.parameter_group_family = _parameter_group_family(world, props.get("CacheParameterGroupName"))
    _apply_parameters(plan, pg_params)
    _apply_memory(plan, memory_gib(node_type), f"node type {node_type}")
    _apply_tls(plan, props)
    if plan.tls == "preferred":
        plan.notes.append(
            "TLS preferred: each node's endpoint port accepts TLS and plain text (first byte sniffed, forwarded to the "
            "node's TLS or plain port)" + ("; nodes announce that port, so redirects work for both" if plan.cluster_mode
                                           else "")
        )
    _apply_auth(world, st, plan, props.get("AuthToken"), props.get("UserGroupIds"))
    strategy = str(props.get("AuthTokenUpdateStrategy") or "ROTATE").upper()
    if strategy not in AUTH_TOKEN_UPDATE_STRATEGIES:  # ModifyReplicationGroup's AuthTokenUpdateStrategy
        raise PlanError(f"AuthTokenUpdateStrategy {strategy!r} must be one of "
                        f"{', '.join(AUTH_TOKEN_UPDATE_STRATEGIES)}")
    plan.auth_token_update_strategy = strategy
    if props.get("Port") is not None:
        plan.notes.append(f"template port {props['Port']} -> a free loopback port")
    ignored = sorted(k for k in props if k in (
        "SnapshotRetentionLimit", "SnapshotWindow", "PreferredMaintenanceWindow", "LogDeliveryConfigurations",
        "MultiAZEnabled", "AtRestEncryptionEnabled", "KmsKeyId", "DataTieringEnabled", "NotificationTopicArn",
        "IpDiscovery", "NetworkType", "SecurityGroupIds", "CacheSubnetGroupName", "PreferredCacheClusterAZs",
    ))
    if ignored:
        plan.notes.append("no local effect: " + ", ".join(ignored))
    return plan


def _cluster_mode(props: dict[str, Any], cluster_pg: bool | None) -> bool:
    mode = str(props.get("ClusterMode") or "").lower()
    if mode == "enabled":
        return True
    if cluster_pg is not None:
        return cluster_pg
    if mode == "disabled":
        return False
    groups = as_int(props.get("NumNodeGroups"), None)
    ngc = props.get("NodeGroupConfiguration") or []
    return (groups or 0) > 1 or len(ngc) > 1


def _shards(props: dict[str, Any], cluster_mode: bool, where: str) -> list[ShardPlan]:
    ngc = [g for g in (props.get("NodeGroupConfiguration") or []) if isinstance(g, dict)]
    rpng = as_int(props.get("ReplicasPerNodeGroup"), None)
    if not cluster_mode:
        total = as_int(props.get("NumCacheClusters"), None)
        if total is not None:
            replicas = total - 1
        elif rpng is not None:
            replicas = rpng
        elif ngc and as_int(ngc[0].get("ReplicaCount"), None) is not None:
            replicas = int(as_int(ngc[0].get("ReplicaCount"), 0) or 0)
        else:
            replicas = 0
        if not 0 <= replicas <= 5:
            raise PlanError(f"{where}: NumCacheClusters must be 1..6 (got {replicas + 1})")
        return [ShardPlan(0, replicas, [], "0001")]
    count = as_int(props.get("NumNodeGroups"), None) or len(ngc) or 1
    if ngc and len(ngc) != count:
        raise PlanError(f"{where}: NumNodeGroups ({count}) differs from NodeGroupConfiguration ({len(ngc)} entries)")
    if not 1 <= count <= 500:
        raise PlanError(f"{where}: NumNodeGroups must be 1..500 (got {count})")
    shards: list[ShardPlan] = []
    explicit = [g.get("Slots") for g in ngc]
    use_explicit = bool(ngc) and all(s for s in explicit)
    if ngc and any(explicit) and not use_explicit:
        raise PlanError(f"{where}: NodeGroupConfiguration[].Slots is set on some node groups only")
    split = even_slots(count)
    for i in range(count):
        group = ngc[i] if i < len(ngc) else {}
        count_prop = as_int(group.get("ReplicaCount"), None)
        replicas = count_prop if count_prop is not None else rpng if rpng is not None else 0
        if not 0 <= replicas <= 5:
            raise PlanError(f"{where}: ReplicaCount / ReplicasPerNodeGroup must be 0..5 (got {replicas})")
        slots = parse_slots(str(group["Slots"]), f"{where} NodeGroupConfiguration[{i}]") if use_explicit else split[i]
        shards.append(ShardPlan(i, replicas, slots, str(group.get("NodeGroupId") or f"{i + 1:04d}")))
    check_coverage(shards, f"{where} NodeGroupConfiguration[].Slots")
    return shards


def _parameter_group(world: World, st: StackTemplate, name: Any) -> tuple[dict[str, str], list[str], bool | None]:
    """(parameters, notes, cluster-enabled or None when unknown) of a ``CacheParameterGroupName`` value."""
    if not name:
        return {}, [], None
    name = str(name)
    if name.startswith("default."):
        return {}, [f"parameter group {name} (ElastiCache defaults)"], name.endswith(".cluster.on")
    key = world.find_physical(PARAM_GROUP, name)
    if key is None:
        return {}, [f"parameter group {name} is not in the templates; ElastiCache defaults used"], None
    props = world.props(*key)
    params = {str(k): to_cfn_string(v) for k, v in (props.get("Properties") or {}).items()}
    cluster = params.get("cluster-enabled")
    return params, [], (cluster.lower() == "yes") if cluster is not None else None


def _parameter_group_family(world: World, name: Any) -> str | None:
    """``CacheParameterGroupFamily`` of a custom parameter group in the templates (None for a default one)."""
    if not name or str(name).startswith("default."):
        return None
    key = world.find_physical(PARAM_GROUP, str(name))
    family = world.props(*key).get("CacheParameterGroupFamily") if key is not None else None
    return str(family) if family else None


def _apply_parameters(plan: RedisPlan, params: dict[str, str]) -> None:
    where = f"{plan.stack}/{plan.logical_id}"
    buffers: dict[str, dict[str, str]] = {}
    for name, value in params.items():
        lname = name.lower()
        if lname == "maxmemory-policy":
            if value not in EVICTION_POLICIES:
                raise PlanError(
                    f"{where}: parameter group maxmemory-policy {value!r} is not one of {', '.join(EVICTION_POLICIES)}"
                )
            plan.maxmemory_policy = value
        elif lname in ELASTICACHE_ONLY_PARAMETERS:
            plan.skipped_parameters[name] = ELASTICACHE_ONLY_PARAMETERS[lname]
        elif lname.startswith("client-output-buffer-limit-"):
            rest = lname[len("client-output-buffer-limit-"):]
            for cls in ("normal", "replica", "slave", "pubsub"):
                if rest.startswith(cls + "-"):
                    buffers.setdefault("replica" if cls == "slave" else cls, {})[rest[len(cls) + 1:]] = value
                    break
            else:
                plan.skipped_parameters[name] = "unknown client-output-buffer-limit class"
        elif is_placeholder(value):
            plan.skipped_parameters[name] = f"value unresolved locally ({value})"
        else:
            plan.parameters[name] = value
    for cls, parts in buffers.items():
        hard, soft, secs = _OUTPUT_BUFFER_DEFAULTS[cls]
        hard, soft, secs = parts.get("hard-limit", hard), parts.get("soft-limit", soft), parts.get("soft-seconds", secs)
        value = f"{cls} {hard} {soft} {secs}"
        plan.parameters["client-output-buffer-limit"] = (
            (plan.parameters.get("client-output-buffer-limit", "") + " " + value).strip()
        )


def _apply_memory(plan: RedisPlan, gib: float | None, what: str) -> None:
    plan.maxmemory = local_maxmemory(gib)
    if gib is None:
        plan.memory_note = f"{what}: memory unknown; maxmemory {DEFAULT_BYTES // MIB} MiB"
    else:
        plan.memory_note = (
            f"{what}: {gib:g} GiB -> maxmemory {plan.maxmemory / MIB:.2f} MiB (1 GiB : 1 MiB, floor 8 MiB)"
        )


#: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html#auth-modifyng-token
AUTH_TOKEN_UPDATE_STRATEGIES = ("ROTATE", "SET", "DELETE")


def _apply_tls(plan: RedisPlan, props: dict[str, Any]) -> None:
    if as_bool(props.get("TransitEncryptionEnabled")):
        mode = str(props.get("TransitEncryptionMode") or "required").lower()
        if mode not in ("required", "preferred"):
            raise PlanError(f"TransitEncryptionMode {mode!r} must be 'required' or 'preferred'")
        plan.tls = mode


def _apply_auth(world: World, st: StackTemplate, plan: RedisPlan, token: Any, user_group_ids: Any) -> None:
    groups = [str(g) for g in (user_group_ids or []) if g]
    if groups:
        if token:
            plan.notes.append("both AuthToken and UserGroupIds set: the user group (RBAC) is emulated")
        plan.users = _users_of_groups(world, plan, groups)
        return
    if token:
        token = str(token)
        if is_placeholder(token):
            raise PlanError(f"AuthToken cannot be resolved locally ({token})")
        plan.auth_token = token


def _users_of_groups(world: World, plan: RedisPlan, group_ids: list[str]) -> list[AclUser]:
    users: list[AclUser] = []
    names: set[str] = set()
    for gid in group_ids:
        gkey = world.find_physical(USER_GROUP, gid)
        if gkey is None:
            raise PlanError(f"user group {gid} is not in the templates (imported?); its users are unknown")
        for uid in world.props(*gkey).get("UserIds") or []:
            ukey = world.find_physical(USER, str(uid))
            if ukey is None:
                plan.notes.append(f"user {uid} of user group {gid} is not in the templates; not created")
                continue
            user = _acl_user(world, ukey)
            if user.name in names:
                continue
            names.add(user.name)
            users.append(user)
    if "default" not in names:
        plan.notes.append("user group has no user named 'default': the default user is disabled")
        users.insert(0, AclUser("default", ["off"], source="implicit"))
    return users


def _acl_user(world: World, key: tuple[str, str]) -> AclUser:
    props = world.props(*key)
    where = f"{key[0]}/{key[1]}"
    name = str(props.get("UserName") or "")
    if not name:
        raise PlanError(f"{where}: AWS::ElastiCache::User has no UserName")
    rules = parse_access_string(str(props.get("AccessString") or "off"), where=where)
    mode = props.get("AuthenticationMode") or {}
    mtype = str(mode.get("Type") or "").lower()
    passwords = [str(p) for p in (mode.get("Passwords") or props.get("Passwords") or [])]
    nopass = as_bool(props.get("NoPasswordRequired")) or mtype == "no-password-required"
    user = AclUser(name=name, rules=rules, passwords=passwords, nopass=nopass, source=where)
    if mtype == "iam":
        # An IAM auth token is a SigV4-signed request that only ElastiCache can verify: locally the user accepts
        # any password/token (``nopass``), and the outputs file says so (``<P>LocalUsers``).
        user.passwords, user.nopass, user.iam = [], True, True
        user.source += " (IAM authentication: any token accepted locally)"
    if any(is_placeholder(p) for p in user.passwords):
        raise PlanError(f"{where}: a password cannot be resolved locally")
    return user


def _plan_serverless(world: World, st: StackTemplate, logical: str) -> RedisPlan | MemcachedPlan:
    props = world.props(st.name, logical)
    engine = _engine(props, "valkey")
    name = str(world.ref(st.name, logical))
    version = str(props.get("MajorEngineVersion") or "default")
    limits = (props.get("CacheUsageLimits") or {}).get("DataStorage") or {}
    max_gb = as_int(limits.get("Maximum"), None)
    if engine == "memcached":
        mb: int = max(8, max_gb or 64)
        return MemcachedPlan(st.name, logical, "ServerlessCache", name, version, 1, True, mb,
                             notes=["serverless Memcached: one TLS memcached process"])
    plan = RedisPlan(
        stack=st.name,
        logical_id=logical,
        resource_type="ServerlessCache",
        group_id=name,
        engine=engine,
        engine_version=version,
        cluster_mode=True,
        shards=[ShardPlan(0, 1, [(0, 16383)], "0001")],
        automatic_failover=True,
        tls="required",
        has_reader=True,
        notes=["serverless: one TLS cluster-mode shard (primary = endpoint, replica = reader endpoint)"],
    )
    plan.maxmemory = local_maxmemory(float(max_gb)) if max_gb else DEFAULT_BYTES
    plan.memory_note = (
        f"DataStorage maximum {max_gb} GB -> maxmemory {plan.maxmemory / MIB:.0f} MiB" if max_gb
        else f"no DataStorage limit -> maxmemory {DEFAULT_BYTES // MIB} MiB"
    )
    plan.maxmemory_policy = DEFAULT_EVICTION_POLICY
    group = props.get("UserGroupId")
    _apply_auth(world, st, plan, None, [group] if group else None)
    return plan


def _plan_cache_cluster(world: World, st: StackTemplate, logical: str) -> RedisPlan | MemcachedPlan | None:
    props = world.props(st.name, logical)
    if props.get("ReplicationGroupId"):
        return None
    engine = _engine(props, "memcached")
    node_type = str(props.get("CacheNodeType") or "") or None
    name = str(world.ref(st.name, logical))
    if engine == "memcached":
        nodes = as_int(props.get("NumCacheNodes"), 1) or 1
        if not 1 <= nodes <= 60:
            raise PlanError(f"NumCacheNodes must be 1..60 (got {nodes})")
        gib = memory_gib(node_type)
        mb = max(8, round(gib)) if gib is not None else DEFAULT_BYTES // MIB
        notes = [f"node type {node_type}: {gib} GiB -> {mb} MiB per node (1 GiB : 1 MiB, floor 8 MiB)"]
        if props.get("CacheParameterGroupName"):
            notes.append("Memcached parameter groups are not applied")
        return MemcachedPlan(st.name, logical, "CacheCluster", name, str(props.get("EngineVersion") or "default"),
                             nodes, as_bool(props.get("TransitEncryptionEnabled")), mb, node_type, notes)
    pg_params, pg_notes, _ = _parameter_group(world, st, props.get("CacheParameterGroupName"))
    plan = RedisPlan(
        stack=st.name, logical_id=logical, resource_type="CacheCluster", group_id=name, engine=engine,
        engine_version=str(props.get("EngineVersion") or "default"), cluster_mode=False,
        shards=[ShardPlan(0, 0, [], "0001")], node_type=node_type, notes=pg_notes,
    )
    _apply_parameters(plan, pg_params)
    _apply_memory(plan, memory_gib(node_type), f"node type {node_type}")
    _apply_tls(plan, props)
    return plan


def _make_secondary(secondary: RedisPlan, primary: RedisPlan, props: dict[str, Any]) -> None:
    """Turn ``secondary`` into a read-only replica group of ``primary`` (settings inherited like AWS does)."""
    if primary.cluster_mode or secondary.cluster_mode:
        raise PlanError(
            "global datastore secondary of a cluster-mode group: Redis OSS cannot replicate between two clusters "
            "(REPLICAOF is refused in cluster mode); not emulated"
        )
    secondary.global_primary = primary.key
    secondary.global_secondary = True
    secondary.tls = primary.tls
    secondary.auth_token = primary.auth_token
    secondary.users = primary.users
    secondary.automatic_failover = False
    # A secondary inherits engine, version and node type from the global datastore unless it states them.
    if not props.get("Engine"):
        secondary.engine = primary.engine
    if not props.get("EngineVersion"):
        secondary.engine_version = primary.engine_version
    if not props.get("CacheNodeType"):
        secondary.node_type = primary.node_type
        secondary.maxmemory, secondary.memory_note = primary.maxmemory, primary.memory_note + " (from the primary)"
    if not props.get("CacheParameterGroupName"):
        secondary.maxmemory_policy = primary.maxmemory_policy
        secondary.parameters = dict(primary.parameters)
    secondary.notes.append(
        f"global datastore secondary of {primary.stack}/{primary.logical_id}: read-only replicas of its primary"
    )


def describe_json(value: Any) -> str:
    """Short JSON for messages."""
    return json.dumps(value, default=str)[:120]
