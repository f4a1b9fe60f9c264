"""Sub-second Redis Cluster bootstrap: pre-written ``nodes.conf`` + "ghost" masters + ``CLUSTER FAILOVER TAKEOVER``.

Why not just pre-write the final ``nodes.conf``? A Redis master that starts in cluster mode refuses to serve
(``CLUSTERDOWN``) for ``CLUSTER_WRITABLE_DELAY`` = 2 s after start (cluster.c, ``clusterUpdateState``). That delay
applies only to masters: replicas turn ``cluster_state:ok`` as soon as every slot has a (non-failed) owner.

So every node starts as a *replica*: each shard's slots belong to a ghost master (an id at ``127.0.0.1:1``, where
nothing listens) that all nodes know from their ``nodes.conf``. The node meant to be the shard's primary then gets
``CLUSTER FAILOVER TAKEOVER``: it bumps the config epoch, claims the slots and becomes master *with its cluster
state already ok*, so no writable delay. The shard's other replicas follow it (slot-owner change), and the ghosts
are removed with ``CLUSTER FORGET``. Takeovers run one shard at a time, each after the node has seen the previous
epoch, so config epochs are unique without collision handling. 3 shards x 1 replica are ready in about 0.2 s,
against about 2 s for ``redis-cli --cluster create``.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from typing import Any

import redis

from . import interrupts
from .clients import info_fields, parse_cluster_nodes, raw
from .errors import EmulatorError
from .model import ShardPlan
from .runtime import LOOPBACK, Proc

GHOST_ADDRESS = ":0@0"
POLL = 0.002


def new_node_id() -> str:
    """A random 40-hex-character cluster node id."""
    return secrets.token_hex(20)


#: Largest cluster bootstrapped with ghosts. Above it every node starts in its final role (masters owning their
#: slots): masters then wait CLUSTER_WRITABLE_DELAY (2 s) before cluster_state:ok, which spawning and meshing a
#: large cluster take anyway, and there are no takeovers to propagate and no ghosts to forget (measured: 90
#: nodes 13.8 s with ghosts, ~4 s in final roles; redis-cli --cluster create 8.8 s).
GHOST_MAX_NODES = 30


def ghost_ids(node_count: int, shards: int) -> list[str]:
    """Ghost master ids for a cluster of ``node_count`` nodes (none above :data:`GHOST_MAX_NODES`)."""
    return [new_node_id() for _ in range(shards)] if node_count <= GHOST_MAX_NODES else []


def nodes_conf(shards: list[ShardPlan], shard_nodes: list[list[Proc]], ghosts: list[str], me: Proc) -> str:
    """The ``nodes.conf`` ``me`` starts with.

    With ghosts, each shard's future primary is a replica of the shard's ghost (which owns the slots); the shard's
    other nodes are already replicas of the future primary, so nothing but the primary changes role at takeover.
    Without ghosts every node starts in its final role: primaries own their slots with config epochs 1..shards.
    """
    lines = []
    for shard, nodes in zip(shards, shard_nodes, strict=True):
        slots = " ".join(f"{a}-{b}" if a != b else str(a) for a, b in shard.slots)
        for i, node in enumerate(nodes):
            mine = "myself," if node.name == me.name else ""
            port = node.front_port or node.port
            address = f"{node.node_id} {LOOPBACK}:{port}@{node.cport}"
            if i == 0 and not ghosts:
                lines.append(f"{address} {mine}master - 0 1 {shard.index + 1} connected {slots}")
                continue
            master = ghosts[shard.index] if i == 0 else nodes[0].node_id
            lines.append(f"{address} {mine}slave {master} 0 1 0 connected")
    for shard in shards if ghosts else []:
        slots = " ".join(f"{a}-{b}" if a != b else str(a) for a, b in shard.slots)
        lines.append(f"{ghosts[shard.index]} {GHOST_ADDRESS} master,noaddr - 0 0 {shard.index + 1} connected {slots}")
    lines.append(f"vars currentEpoch {len(shards)} lastVoteEpoch 0")
    return "\n".join(lines) + "\n"


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Poll ``check`` (Redis errors count as "not yet") until true; error naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        interrupts.check_cancelled()
        try:
            if check():
                return
        except redis.RedisError as exc:
            last_error = f" (last error: {exc})"
        if time.monotonic() > deadline:
            raise EmulatorError(f"timed out after {timeout:.0f}s waiting for {what}{last_error}")
        time.sleep(POLL)


def bootstrap(
    shards: list[ShardPlan],
    shard_nodes: list[list[Proc]],
    ghosts: list[str],
    clients: dict[str, redis.Redis],
    timeout: float = 15.0,
) -> None:
    """Turn the started nodes into the planned cluster (see the module docstring) and wait until it is ready."""
    everyone = [n for nodes in shard_nodes for n in nodes]
    if ghosts:
        _take_over(shards, shard_nodes, ghosts, clients, everyone, timeout)
    want_replica_of = {n.node_id: nodes[0].node_id for nodes in shard_nodes for n in nodes[1:]}
    _wait_ready(everyone, want_replica_of, clients, timeout)


def _take_over(
    shards: list[ShardPlan], shard_nodes: list[list[Proc]], ghosts: list[str], clients: dict[str, redis.Redis],
    everyone: list[Proc], timeout: float,
) -> None:
    """The ghost phases: every primary takes its ghost's slots over, every node sees it, ghosts are forgotten."""
    real_ids = {n.node_id for n in everyone}

    def linked(node: Proc) -> bool:
        # Every cluster-bus link up, so each takeover's PONG broadcast reaches every node at once (otherwise
        # a node learns the new slot owner only from a later ping: up to node-timeout/2 later).
        view = parse_cluster_nodes(raw(clients[node.name], "CLUSTER", "NODES"))
        return all(v["link"] == "connected" for v in view if v["id"] in real_ids) and \
            sum(1 for v in view if v["id"] in real_ids) == len(real_ids)

    for node in everyone:
        wait_until(f"{node.name} to connect to every cluster node", functools.partial(linked, node), timeout)
    epoch = len(shards)
    for nodes in shard_nodes:
        primary = nodes[0]
        client = clients[primary.name]
        seen = epoch

        def current_epoch_reached(c: redis.Redis = client, want: int = seen) -> bool:
            return int(info_fields(raw(c, "CLUSTER", "INFO")).get("cluster_current_epoch", "0")) >= want

        wait_until(f"{primary.name} to learn epoch {seen}", current_epoch_reached, timeout)
        raw(client, "CLUSTER", "FAILOVER", "TAKEOVER")
        epoch += 1

    want_master = {nodes[0].node_id: set(_norm(s.slots)) for s, nodes in zip(shards, shard_nodes, strict=True)}
    want_replica_of = {n.node_id: nodes[0].node_id for nodes in shard_nodes for n in nodes[1:]}

    def converged(node: Proc) -> bool:
        view = parse_cluster_nodes(raw(clients[node.name], "CLUSTER", "NODES"))
        by_id = {v["id"]: v for v in view}
        for nid, slots in want_master.items():
            v = by_id.get(nid)
            if v is None or "master" not in v["flags"] or set(_norm(v["slots"])) != slots:
                return False
        for nid, master in want_replica_of.items():
            v = by_id.get(nid)
            if v is None or "slave" not in v["flags"] or v["master"] != master:
                return False
        return all(not by_id[g]["slots"] for g in ghosts if g in by_id)

    for node in everyone:
        wait_until(f"{node.name} to see the final topology", functools.partial(converged, node), timeout)

    for node in everyone:
        pipe = clients[node.name].pipeline(transaction=False)
        for ghost in ghosts:
            pipe.execute_command("CLUSTER", "FORGET", ghost)
        pipe.execute(raise_on_error=False)



def _wait_ready(
    everyone: list[Proc], want_replica_of: dict[str | None, str | None], clients: dict[str, redis.Redis],
    timeout: float,
) -> None:
    """Every node ``cluster_state:ok`` knowing every node; every replica's link to its primary up."""
    total = len(everyone)
    nudged: set[str] = set()

    def ready(node: Proc) -> bool:
        c = clients[node.name]
        info = info_fields(raw(c, "CLUSTER", "INFO"))
        if info.get("cluster_state") != "ok" or int(info.get("cluster_known_nodes", "0")) != total:
            return False
        if node.node_id in want_replica_of:
            if str(c.info("replication").get("master_link_status")) == "up":
                return True
            if node.name not in nudged:
                # The takeover dropped the replica's link (new replication id); Redis 7.0 would reconnect on its
                # next replication cron (up to 1 s). CLUSTER REPLICATE of the same master reconnects now.
                nudged.add(node.name)
                raw(c, "CLUSTER", "REPLICATE", want_replica_of[str(node.node_id)])
            return False
        return True

    for node in everyone:
        wait_until(f"{node.name} to report cluster_state:ok", functools.partial(ready, node), timeout)


def _norm(slots: Any) -> list[tuple[int, int]]:
    """Expand adjacent ranges into a canonical list of ranges."""
    out: list[tuple[int, int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in slots):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
