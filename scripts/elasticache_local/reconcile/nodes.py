"""Adding and removing server processes of a running group (new nodes sync before they serve)."""

from __future__ import annotations

import functools
from pathlib import Path

import redis

from .. import bringup, cluster, configs, runtime, spawner
from .. import commands as cmd
from .. import state as st
from ..clients import info_fields, parse_cluster_nodes, raw
from ..configs import Env
from ..engines import server_argv
from ..model import RedisPlan
from ..runtime import LOOPBACK, Proc
from .observe import client, redis_nodes

SYNC_TIMEOUT = 30.0


def env_of(state: st.State) -> Env:
    """TLS files and admin password of the deployment."""
    tls = cmd.deployment_tls(state) if state.ca_file else None
    return Env(tls, state.admin_password)


def node_name(rp: RedisPlan, shard: int, ordinal: int) -> str:
    """ElastiCache style node name (``<group>-0001-001`` in cluster mode, ``<group>-001`` otherwise)."""
    return f"{rp.group_id}-{shard + 1:04d}-{ordinal:03d}" if rp.cluster_mode else f"{rp.group_id}-{ordinal:03d}"


def _next_ordinal(state: st.State, rp: RedisPlan, shard: int) -> int:
    used = {p.name for p in redis_nodes(state, rp)}
    i = 1
    while node_name(rp, shard, i) in used:
        i += 1
    return i


def start_nodes(state: st.State, rp: RedisPlan, wanted: list[tuple[int, str]], replicaof: int | None) -> list[Proc]:
    """Start one redis-server per (shard, role) with ``rp``'s configuration; tracked in ``state`` from the spawn."""
    env = env_of(state)
    procs: list[Proc] = []
    taken: set[str] = set()
    for shard, role in wanted:
        ordinal = _next_ordinal(state, rp, shard)
        while node_name(rp, shard, ordinal) in taken:
            ordinal += 1
        name = node_name(rp, shard, ordinal)
        taken.add(name)
        procs.append(Proc(
            kind="redis", stack=rp.stack, resource=rp.logical_id, group=rp.group_id, name=name, port=0,
            dir=str(Path(state.state_dir) / rp.stack / rp.logical_id / name),
            shard=shard if rp.cluster_mode else None, role=role, tls=rp.tls != "off",
            node_id="" if rp.cluster_mode else None,
        ))
    cmd.assign_ports(procs, {rp.key: rp})
    for proc in procs:
        conf = Path(proc.dir) / "redis.conf"
        configs.write(conf, configs.redis_conf(rp, proc, env, replicaof=None if rp.cluster_mode else replicaof))
        proc.argv = server_argv(rp.engine, "server", str(conf))

    def started(proc: Proc) -> None:  # tracked from the fork: an interrupted reconcile leaves what `down` stops
        state.procs.append(proc)
        st.record_started(Path(state.state_dir), proc)

    children = spawner.spawn_gated(procs, started)
    st.save(state)
    runtime.wait_listening(children)
    clients = {p.name: client(state, p) for p in procs}
    try:
        for p in procs:
            clients[p.name].execute_command("CONFIG", "SET", "hz", str(configs.server_hz(rp, booting=False)))
            if rp.cluster_mode:  # a node started without nodes.conf picks its own id
                p.node_id = str(raw(clients[p.name], "CLUSTER", "MYID"))
        bringup.apply_runtime_parameters(rp, procs, clients)
    finally:
        for c in clients.values():
            c.close()
    st.save(state)
    return procs


def _synced(c: redis.Redis) -> bool:
    return str(c.info("replication").get("master_link_status")) == "up"


def wait_synced(state: st.State, procs: list[Proc]) -> None:
    """Wait until every replica in ``procs`` finished its initial sync (a new replica serves only then)."""
    for p in procs:
        c = client(state, p)
        try:
            cluster.wait_until(f"{p.name} to finish its initial sync", functools.partial(_synced, c), SYNC_TIMEOUT)
        finally:
            c.close()


def join_cluster(state: st.State, rp: RedisPlan, new: list[Proc], primary_of: dict[str, str]) -> None:
    """``CLUSTER MEET`` the new nodes, make replicas follow their primary (``primary_of``: name -> node id)."""
    members = [p for p in redis_nodes(state, rp) if p not in new]
    seed = client(state, members[0])
    try:
        for p in new:
            raw(seed, "CLUSTER", "MEET", LOOPBACK, p.port, p.cport)
    finally:
        seed.close()
    everyone = redis_nodes(state, rp)
    ids = {p.node_id for p in everyone}

    def knows_all(c: redis.Redis) -> bool:
        view = parse_cluster_nodes(raw(c, "CLUSTER", "NODES"))
        seen = {v["id"] for v in view if "handshake" not in v["flags"] and "noaddr" not in v["flags"]}
        return ids <= seen and info_fields(raw(c, "CLUSTER", "INFO")).get("cluster_state") == "ok"

    for p in everyone:
        c = client(state, p)
        try:
            cluster.wait_until(f"{p.name} to know every node", functools.partial(knows_all, c), SYNC_TIMEOUT)
            if p.name in primary_of:
                raw(c, "CLUSTER", "REPLICATE", primary_of[p.name])
        finally:
            c.close()
    wait_synced(state, [p for p in new if p.name in primary_of])


def remove_nodes(state: st.State, rp: RedisPlan, gone: list[Proc]) -> None:
    """Stop ``gone`` (cluster mode: forgotten by every other node first) and delete their data directories."""
    if rp.cluster_mode:
        for p in redis_nodes(state, rp):
            if p in gone:
                continue
            c = client(state, p)
            try:
                pipe = c.pipeline(transaction=False)
                for g in gone:
                    pipe.execute_command("CLUSTER", "FORGET", g.node_id)
                pipe.execute(raise_on_error=False)
            finally:
                c.close()
    runtime.stop(gone)
    names = {g.name for g in gone}
    state.procs = [p for p in state.procs if p.name not in names or p.resource != rp.logical_id]
    for g in gone:
        _rmtree(Path(g.dir))
    st.save(state)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
