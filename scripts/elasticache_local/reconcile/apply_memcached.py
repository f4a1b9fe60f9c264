"""Memcached node count changes: nodes added empty, removed nodes' data gone (as on ElastiCache:
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.DeleteNode.html)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import runtime, spawner
from .. import state as st
from ..configs import memcached_argv
from ..fronts import write_discovery
from ..model import MemcachedPlan
from ..runtime import Proc
from .nodes import env_of

Log = Callable[[str], None]


def update(state: st.State, old: MemcachedPlan, new: MemcachedPlan, log: Log) -> None:
    """Add or remove nodes (the highest-numbered ones go, like ElastiCache's default choice)."""
    nodes = sorted((p for p in state.procs_of(old.stack, old.logical_id) if p.kind == "memcached"),
                   key=lambda p: p.name)
    if new.nodes < len(nodes):
        gone = nodes[new.nodes:]
        runtime.stop(gone)
        names = {g.name for g in gone}
        state.procs = [p for p in state.procs if not (p.resource == old.logical_id and p.name in names)]
        st.save(state)
        log(f"    {len(gone)} Memcached node(s) removed (their items are gone, as on ElastiCache)")
    elif new.nodes > len(nodes):
        env = env_of(state)
        used = {p.name for p in nodes}
        added: list[Proc] = []
        i = 1
        ports = iter(runtime.allocate_ports(new.nodes - len(nodes)))
        while len(nodes) + len(added) < new.nodes:
            name = f"{new.cluster_id}-{i:04d}"
            i += 1
            if name in used:
                continue
            proc = Proc(kind="memcached", stack=new.stack, resource=new.logical_id, group=new.cluster_id, name=name,
                        port=next(ports), dir=str(Path(state.state_dir) / new.stack / new.logical_id / name),
                        role="memcached", tls=new.tls)
            proc.argv = memcached_argv(new, proc, env)
            added.append(proc)

        def started(proc: Proc) -> None:
            state.procs.append(proc)
            st.record_started(Path(state.state_dir), proc)

        children = spawner.spawn_gated(added, started)
        st.save(state)
        runtime.wait_listening(children)
        log(f"    {len(added)} Memcached node(s) added (empty)")
    _rediscover(state, new)


def _rediscover(state: st.State, mp: MemcachedPlan) -> None:
    """The configuration endpoint's auto-discovery answer lists the nodes running now (version + 1)."""
    front = next((p for p in state.procs if p.kind == "front"), None)
    if front is None or mp.resource_type != "CacheCluster":
        return
    nodes = sorted((p for p in state.procs_of(mp.stack, mp.logical_id) if p.kind == "memcached"), key=lambda p: p.name)
    write_discovery(Path(front.dir), mp, nodes)
