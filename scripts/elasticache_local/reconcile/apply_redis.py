"""Update a running Redis OSS / Valkey group to its desired plan, in the order ElastiCache applies changes.

Order: validation (nothing changes when a step would be refused), memory scale-up, shards (online resharding),
replicas, memory scale-down, parameters, AUTH token. Each step keeps every key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import configs
from .. import state as st
from ..clients import parse_cluster_nodes, raw
from ..cluster import wait_until
from ..errors import EmulatorError
from ..model import RedisPlan, ShardPlan
from ..runtime import Proc
from . import nodes as nd
from . import reshard, rolling, safety, tls_mode
from .observe import client, cluster_view, current_primary, redis_nodes

Log = Callable[[str], None]
RESHARD_NODE_TIMEOUT_MS = 15000


def family_of(rp: RedisPlan) -> str:
    """Parameter group family ElastiCache uses for the engine version (redis6.x, redis7, valkey7, valkey8 ...)."""
    major = (rp.engine_version or "7").split(".")[0]
    if rp.engine == "redis" and major in ("4", "5", "6"):
        return f"redis{major}.0" if major in ("4", "5") else "redis6.x"
    return f"{rp.engine}{major}"


def _each_node(state: st.State, rp: RedisPlan, *args: Any) -> None:
    for p in redis_nodes(state, rp):
        c = client(state, p)
        try:
            c.execute_command(*args)
        finally:
            c.close()


def _used_memory(state: st.State, rp: RedisPlan) -> int:
    most = 0
    for p in redis_nodes(state, rp):
        c = client(state, p)
        try:
            most = max(most, int(c.info("memory")["used_memory_dataset"]))
        finally:
            c.close()
    return most


def validate(state: st.State, old: RedisPlan, new: RedisPlan) -> None:
    """Refuse, before anything changes, what ElastiCache refuses."""
    where = f"{new.stack}/{new.logical_id}"
    if old.cluster_mode != new.cluster_mode:
        raise EmulatorError(f"{where}: cluster mode {old.cluster_mode} -> {new.cluster_mode} is not an online change")
    if new.auth_token_update_strategy == "SET" and new.auth_token and old.auth_token is None:
        raise EmulatorError(f"{where}: AuthTokenUpdateStrategy SET is allowed only after ROTATE (the group has no "
                            "AUTH token yet; use ROTATE to add one): https://docs.aws.amazon.com/AmazonElastiCache/"
                            "latest/dg/auth.html#auth-modifyng-token")
    if new.maxmemory and new.maxmemory < (old.maxmemory or new.maxmemory + 1):
        # Scaling down needs room for the data in use:
        # https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Scaling.RedisReplGrps.ScaleDown.html
        used = _used_memory(state, old)
        if used > new.maxmemory:
            raise EmulatorError(
                f"{where}: CacheNodeType {old.node_type} -> {new.node_type}: the data in use ({used} bytes) does not "
                f"fit the new node type's memory ({new.maxmemory} bytes locally); ElastiCache refuses this scale-down"
            )


def _set_memory(state: st.State, rp: RedisPlan, log: Log) -> None:
    _each_node(state, rp, "CONFIG", "SET", "maxmemory", str(rp.maxmemory))
    log(f"    maxmemory {rp.maxmemory} ({rp.node_type}) set live on every node")


def update(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> list[str]:
    """Apply ``new`` to the running group described by ``old``; return what was left for a reboot/unsupported."""
    validate(state, old, new)
    rolling.validate(old, new)
    tls_mode.validate(old, new)
    left: list[str] = []
    if new.maxmemory > old.maxmemory:
        _set_memory(state, new, log)
    if new.cluster_mode:
        _reshard(state, old, new, log)
    else:
        new.shards[0].slots = []
    _replicas(state, old, new, log)
    if new.cluster_mode:
        _wait_converged(state, new)
    if 0 < new.maxmemory < old.maxmemory:
        _set_memory(state, new, log)
    _parameters(state, old, new, log)
    _auth(state, old, new, log)
    tls_mode.migrate(state, old, new, log)
    if rolling.engine_changed(old, new):
        rolling.upgrade(state, old, new, log)
    return left


# ------------------------------------------------------------------------------------------------ shards
def _reshard(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Add shards, move slots to the template's ranges (or an even split), drain and remove shards."""
    old_by_id = {s.node_group_id: s for s in old.shards}
    new_by_id = {s.node_group_id: s for s in new.shards}
    index_map = {s.index: new_by_id[s.node_group_id].index for s in old.shards if s.node_group_id in new_by_id}
    removed = [s for s in old.shards if s.node_group_id not in new_by_id]
    added = [s for s in new.shards if s.node_group_id not in old_by_id]
    # Renumber the running shards to the new plan's indexes (removed shards get indexes past the new count).
    spare = len(new.shards)
    for s in removed:
        index_map[s.index] = spare
        spare += 1
    for p in redis_nodes(state, old):
        if p.shard is not None:
            p.shard = index_map[p.shard]
    if added:
        log(f"    adding {len(added)} shard(s): {', '.join(s.node_group_id for s in added)}")
        wanted = [(s.index, role) for s in added for role in ["primary"] + ["replica"] * s.replicas]
        procs = nd.start_nodes(state, new, wanted, None)
        primaries = {p.shard: p for p in procs if p.role == "primary"}
        nd.join_cluster(state, new, procs, {p.name: str(primaries[p.shard].node_id)
                                            for p in procs if p.role == "replica"})
    # A primary that loses its last slot would otherwise turn into a replica of the slots' new owner (Redis
    # Cluster replica migration); a drained shard must stay as it is until it is removed.
    _each_node(state, new, "CONFIG", "SET", "cluster-allow-replica-migration", "no")
    # Slot state changes fsync nodes.conf: on a busy machine a node may miss pings for longer than the emulator's
    # 1 s node timeout, be flagged failing and take the cluster down mid-migration. ElastiCache's timeout is
    # 15 s; use that while resharding, and the emulator's short one again afterwards.
    _each_node(state, new, "CONFIG", "SET", "cluster-node-timeout", str(RESHARD_NODE_TIMEOUT_MS))
    try:
        _move(state, old, new, log)
    finally:
        _each_node(state, new, "CONFIG", "SET", "cluster-node-timeout", str(configs.CLUSTER_NODE_TIMEOUT_MS))
    if removed:
        gone = [p for p in redis_nodes(state, new) if p.shard is not None and p.shard >= len(new.shards)]
        _wait_drained(state, gone)
        log(f"    removing drained shard(s) {', '.join(s.node_group_id for s in removed)} ({len(gone)} nodes)")
        nd.remove_nodes(state, new, gone)


def _move(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Move every slot whose owner differs from the desired layout (template ranges or a balanced split)."""
    # Who owns each slot now (by shard index), and who should.
    members: dict[int, reshard.Member] = {}
    by_id = {p.node_id: p for p in redis_nodes(state, new)}
    owners: list[int | None] = [None] * 16384
    view = {v["id"]: v for v in cluster_view(state, new)}
    for p in redis_nodes(state, new):
        c = client(state, p, timeout=70.0)
        if c.info("replication").get("role") != "master":  # each node's own word (gossip may lag behind)
            c.close()
            continue
        assert p.shard is not None and p.node_id
        if p.shard in members:
            c.close()
            raise EmulatorError(f"{new.group_id}: shard {p.shard + 1} has two primaries; run `status`")
        members[p.shard] = reshard.Member(p.node_id, p.port, c)
        for a, b in view.get(p.node_id, {}).get("slots", []):
            for slot in range(a, b + 1):
                owners[slot] = p.shard
    del by_id
    try:
        if new.explicit_slots:
            target = [0] * 16384
            for s in new.shards:
                for a, b in s.slots:
                    for slot in range(a, b + 1):
                        target[slot] = s.index
        else:
            target = reshard.balanced_owners(
                [o if o is not None and o < len(new.shards) else None for o in owners],
                list(range(len(new.shards))), len(new.shards))
        moves: dict[tuple[int, int], list[int]] = {}
        for slot, (now, want) in enumerate(zip(owners, target, strict=True)):
            if now != want:
                if now is None:
                    raise EmulatorError(f"{new.group_id}: slot {slot} has no owner; run `status`")
                moves.setdefault((now, want), []).append(slot)
        if moves:
            n = sum(len(v) for v in moves.values())
            log(f"    online resharding: moving {n} slots between {len(moves)} shard pair(s)")
            keys = reshard.move_slots(moves, members, state.admin_password, progress=lambda m: log("      " + m))
            log(f"    resharding done: {keys} keys moved")
    finally:
        for m in members.values():
            m.client.close()
    for s in new.shards:
        s.slots = reshard.ranges([slot for slot, o in enumerate(target) if o == s.index])


def _wait_converged(state: st.State, rp: RedisPlan, timeout: float = 60.0) -> None:
    """Return once every node's CLUSTER NODES agrees on the members, their roles and slots: a client that
    connects after ``up`` then sees the new topology from whichever node it asks (gossip spreads it)."""
    nodes = redis_nodes(state, rp)

    def view_of(p: Proc) -> frozenset[tuple[str, str, tuple[tuple[int, int], ...]]]:
        c = client(state, p)
        try:
            return frozenset((v["id"], v["master"], tuple(map(tuple, v["slots"])))
                             for v in parse_cluster_nodes(raw(c, "CLUSTER", "NODES")))
        finally:
            c.close()

    def agreed() -> bool:
        views = {view_of(p) for p in nodes}
        return len(views) == 1 and len(next(iter(views))) == len(nodes)

    wait_until(f"{rp.group_id}: every node to agree on the new cluster layout", agreed, timeout)


def _wait_drained(state: st.State, gone: list[Proc]) -> None:
    for p in gone:
        c = client(state, p)
        try:
            if int(c.dbsize()) != 0:
                raise EmulatorError(f"{p.name}: still holds {c.dbsize()} keys after its slots moved; not removed")
        finally:
            c.close()


# ------------------------------------------------------------------------------------------------ replicas
def _replicas(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Per shard: start and sync new replicas, or remove replicas (never the current primary)."""
    for shard in new.shards:
        sid = shard.index if new.cluster_mode else None
        nodes = [p for p in redis_nodes(state, new) if p.shard == sid]
        have = len(nodes) - 1
        if have == shard.replicas:
            continue
        primary = current_primary(state, new, sid)
        label = f"shard {shard.node_group_id}" if new.cluster_mode else "group"
        if shard.replicas > have:
            wanted = [(shard.index, "replica")] * (shard.replicas - have)
            procs = nd.start_nodes(state, new, wanted, primary.port)
            if new.cluster_mode:
                nd.join_cluster(state, new, procs, {p.name: str(primary.node_id) for p in procs})
            else:
                nd.wait_synced(state, procs)
            log(f"    {label}: {len(procs)} replica(s) added and synced")
        else:
            replicas = [p for p in nodes if p.name != primary.name]
            gone = sorted(replicas, key=lambda p: p.name)[shard.replicas:]
            nd.remove_nodes(state, new, gone)
            log(f"    {label}: {len(gone)} replica(s) removed")
        if new.uses_sentinel or old.uses_sentinel:
            _sentinels_follow(state, new)


def _sentinels_follow(state: st.State, rp: RedisPlan) -> None:
    """``SENTINEL RESET``: the group's Sentinels rediscover the replica set from the primary right away."""
    from ..cluster import wait_until

    name = configs.sentinel_master_name(rp)
    sentinels = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "sentinel"]
    want = {p.port for p in redis_nodes(state, rp) if p.name != current_primary(state, rp).name}
    for s in sentinels:
        c = client(state, s)
        try:
            raw(c, "SENTINEL", "RESET", name)
        finally:
            c.close()

    def follows(s: Proc) -> bool:
        c = client(state, s)
        try:
            reps = raw(c, "SENTINEL", "REPLICAS", name)
            ports = set()
            for r in reps:
                d = r if isinstance(r, dict) else dict(zip(r[::2], r[1::2], strict=False))
                ports.add(int(d["port"]))
            return ports == want
        finally:
            c.close()

    for s in sentinels:
        wait_until(f"{s.name} to follow the new replica set", functools.partial(follows, s), 30.0)


# ------------------------------------------------------------------------------------------------ parameters
def _parameters(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Immediate parameters with ``CONFIG SET`` on every node; reboot-only ones recorded as pending."""
    family = family_of(new)
    changed = {k: v for k, v in new.parameters.items() if old.parameters.get(k) != v}
    if new.maxmemory_policy != old.maxmemory_policy:
        changed["maxmemory-policy"] = new.maxmemory_policy
    new.pending_reboot = dict(old.pending_reboot)
    for name, value in changed.items():
        if safety.parameter_change_type(family, name) == "requires-reboot":
            new.pending_reboot[name] = value
            if name in old.parameters:
                new.parameters[name] = old.parameters[name]
            else:
                new.parameters.pop(name, None)
            log(f"    parameter {name}={value}: pending reboot (ElastiCache applies it only after a reboot)")
            continue
        _each_node(state, new, "CONFIG", "SET", name, value)
        log(f"    parameter {name}={value}: applied live")
    for name in set(old.parameters) - set(new.parameters) - set(new.pending_reboot):
        log(f"    parameter {name} removed from the group: the running value stays until a reboot")


# ------------------------------------------------------------------------------------------------ AUTH
def _auth(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """AUTH token change with ElastiCache's strategies (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html#auth-modifyng-token):
    ROTATE adds the new token and the old one keeps working until the next change; SET (allowed only after a
    ROTATE, validated by :func:`validate`) leaves the new token as the only one."""
    set_now = new.auth_token_update_strategy == "SET" and (
        new.auth_token != old.auth_token or old.auth_token_update_strategy != "SET")
    if new.users is not None or (new.auth_token == old.auth_token and not set_now):
        return
    if new.auth_token is None:
        _each_node(state, new, "ACL", "SETUSER", "default", "nopass")
        log("    AUTH token removed: the default user accepts any client")
        return
    if set_now:
        _each_node(state, new, "ACL", "SETUSER", "default", "on", "resetpass", f">{new.auth_token}")
        log("    AUTH token set: only the new token works now (SET)")
        return
    args = ["ACL", "SETUSER", "default", "on", f">{new.auth_token}"]
    if old.auth_token is None:
        args.insert(3, "resetpass")
    _each_node(state, new, *args)
    log("    AUTH token rotated: the new token works now, the old one keeps working (ROTATE)")


def topology_check(state: st.State, rp: RedisPlan) -> list[ShardPlan]:
    """The shards as the cluster reports them (for tests and ``status``)."""
    view = parse_cluster_nodes(raw(client(state, redis_nodes(state, rp)[0]), "CLUSTER", "NODES"))
    return [ShardPlan(i, 0, v["slots"]) for i, v in enumerate(v for v in view if "master" in v["flags"])]
