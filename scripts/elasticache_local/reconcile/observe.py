"""Observed state: the running deployment (state file + what the live servers report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis

from .. import state as st
from ..clients import node_client, parse_cluster_nodes, raw
from ..errors import EmulatorError
from ..model import RedisPlan
from ..runtime import Proc, is_ours

Log = Any


def observe(state_dir: Path, log: Log) -> st.State | None:
    """The running deployment recorded in ``state_dir``, or None (a stale one without live processes is cleared)."""
    previous = st.load(state_dir)
    if previous is None:
        return None
    live = previous.live_procs()
    if not live:
        log(f"note: stale state in {state_dir} (no process alive); cleaning it up")
        return None
    dead = [p.name for p in previous.procs if not is_ours(p)]
    if dead:
        raise EmulatorError(
            f"{state_dir}: {len(dead)} recorded processes are not running ({', '.join(dead[:5])}); "
            "run `down` and `up` again"
        )
    if not previous.templates:
        raise EmulatorError(f"{state_dir}: started by an emulator without reconciling support; run `down` first")
    return previous


def client(state: st.State, proc: Proc, timeout: float = 5.0) -> redis.Redis:
    """An admin client on one node."""
    return node_client(proc, state.admin_password, state.ca_file, timeout=timeout)


def redis_nodes(state: st.State, rp: RedisPlan) -> list[Proc]:
    """The redis-server processes of a resource."""
    return [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "redis"]


def cluster_view(state: st.State, rp: RedisPlan) -> list[dict[str, Any]]:
    """``CLUSTER NODES`` of the group as one of its nodes sees it."""
    node = redis_nodes(state, rp)[0]
    c = client(state, node)
    try:
        return parse_cluster_nodes(raw(c, "CLUSTER", "NODES"))
    finally:
        c.close()


def current_primary(state: st.State, rp: RedisPlan, shard: int | None = None) -> Proc:
    """The node that is primary now (failovers move it), of a non-cluster group or of one shard."""
    candidates = [p for p in redis_nodes(state, rp) if p.shard == shard]
    for p in candidates:
        c = client(state, p)
        try:
            if c.info("replication").get("role") == "master":
                return p
        finally:
            c.close()
    raise EmulatorError(f"{rp.group_id}: no primary found (shard {shard})")
