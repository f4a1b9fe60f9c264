"""In-transit encryption mode migration of a running group: disabled <-> preferred <-> required, data kept.

ElastiCache changes the mode of a running group in two steps: "Enabling encryption in transit is a two-step
process, you must first set the transit encryption mode to preferred ... After you migrate all your clients to
use encrypted connections, you can then modify your cluster configuration to set the transit encryption mode to
required" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption-enable-existing.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption-enable.html). ``disabled ->
required`` in one step (and back) is refused, before anything changes. ``preferred`` accepts TLS and plain text
on the same endpoint and port; ``required`` drops every plain-text connection.

Locally the listeners change live, without a restart (Redis OSS 7 / Valkey 8 rebind ``port`` and ``tls-port`` on
``CONFIG SET``): ``preferred`` gives every node a TLS port beside its plain one and a front port that sniffs the
first bytes (:mod:`..sniff`, served by a front process of the group, :mod:`..proxy`); cluster nodes announce the
front port, so redirects work for both kinds of client; a Sentinel-managed group's Sentinels and endpoint proxy
follow (:mod:`.sentinel_tls`). ``required`` closes the plain port, kills the clients
connected to it (``CLIENT KILL LADDR``) and replicates over TLS; nodes announce their TLS port. Replicas change
first, as in a rolling change; no key moves.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import redis

from .. import commands as cmd
from .. import configs, runtime
from .. import state as st
from ..clients import node_client, parse_cluster_nodes, raw
from ..cluster import wait_until
from ..errors import EmulatorError
from ..model import RedisPlan
from ..runtime import LOOPBACK, Proc
from . import sentinel_tls
from .observe import current_primary, redis_nodes

Log = Callable[[str], None]
DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption-enable-existing.html"
STEPS = {("off", "preferred"), ("preferred", "required"), ("required", "preferred"), ("preferred", "off")}
#: ElastiCache's cluster node timeout, used while links change transport (as while resharding).
MIGRATION_NODE_TIMEOUT_MS = 15000
TIMEOUT = 30.0


def label(mode: str) -> str:
    """The mode as the template names it (``off`` is TransitEncryptionEnabled: false, ``disabled``)."""
    return "disabled" if mode == "off" else mode


def validate(old: RedisPlan, new: RedisPlan) -> None:
    """Refuse, before anything changes, a mode change ElastiCache refuses (or the emulator cannot apply)."""
    if old.tls == new.tls:
        return
    where = f"{new.stack}/{new.logical_id}"
    change = f"TransitEncryptionMode {label(old.tls)} -> {label(new.tls)}"
    if (old.tls, new.tls) not in STEPS:
        raise EmulatorError(
            f"{where}: {change}: ElastiCache changes in-transit encryption of a running group in two steps, "
            f"through TransitEncryptionMode preferred (TLS and plain text on one port while clients migrate); "
            f"apply preferred first, then {label(new.tls)}. Nothing was changed ({DOC})"
        )
    if old.global_primary or old.global_secondary:
        raise EmulatorError(
            f"{where}: {change}: not emulated yet for global datastore members (the secondary group replicates "
            "from the primary group's ports); nothing was changed. `down` + `up` applies it without the data"
        )


def _admin(state: st.State, node: Proc, *, tls: bool) -> redis.Redis:
    """An admin client on the node's TLS (``tls``) or plain port, whatever the record says now."""
    port = node.tls_port if tls else node.plain_port
    assert port, f"{node.name}: no {'TLS' if tls else 'plain'} port"
    return node_client(dataclasses.replace(node, port=port, tls=tls), state.admin_password, state.ca_file)


def _each(state: st.State, nodes: list[Proc], *args: str, tls: bool) -> None:
    for n in nodes:
        c = _admin(state, n, tls=tls)
        try:
            c.execute_command(*args)
        finally:
            c.close()


def migrate(state: st.State, old: RedisPlan, new: RedisPlan, log: Log) -> None:
    """Move the running group from ``old.tls`` to ``new.tls`` (validated by :func:`validate`)."""
    if old.tls == new.tls:
        return
    nodes = _replicas_first(state, new)
    step = (old.tls, new.tls)
    if step == ("off", "preferred"):
        _add_tls(state, nodes)
        _start_front(state, new, nodes)
        _internal_links(state, new, nodes, tls=True)
        sentinel_tls.refresh(state, new, internal_tls=True)
    elif step == ("preferred", "required"):
        _drop_plain(state, new, nodes)
    elif step == ("required", "preferred"):
        _add_plain(state, nodes)
        _start_front(state, new, nodes)
        sentinel_tls.refresh(state, new, internal_tls=True)
    else:
        _drop_tls(state, new, nodes)
    _wait_replicas_linked(state, new, nodes)
    st.save(state)
    accepts = {"off": "plain text only", "preferred": "TLS and plain text", "required": "TLS only"}[new.tls]
    log(f"    TransitEncryptionMode {label(old.tls)} -> {label(new.tls)}: {len(nodes)} node(s) reconfigured live, "
        f"replicas first; the endpoint port accepts {accepts}")


def _replicas_first(state: st.State, rp: RedisPlan) -> list[Proc]:
    nodes = redis_nodes(state, rp)
    primaries = set()
    for shard in {p.shard for p in nodes}:
        primaries.add(current_primary(state, rp, shard).name)
    return sorted(nodes, key=lambda p: p.name in primaries)


def _add_tls(state: st.State, nodes: list[Proc]) -> None:
    tls = cmd.deployment_tls(state)
    state.ca_file = str(tls.ca_cert)
    for n, port in zip(nodes, runtime.allocate_ports(len(nodes)), strict=True):
        c = _admin(state, n, tls=False)
        try:
            c.execute_command("CONFIG", "SET", "tls-cert-file", str(tls.cert), "tls-key-file", str(tls.key),
                              "tls-ca-cert-file", str(tls.ca_cert), "tls-auth-clients", "no")
            c.execute_command("CONFIG", "SET", "tls-port", str(port))
        finally:
            c.close()
        n.tls_port, n.tls, n.port = port, True, port
    st.save(state)


def _add_plain(state: st.State, nodes: list[Proc]) -> None:
    for n, port in zip(nodes, runtime.allocate_ports(len(nodes)), strict=True):
        _each(state, [n], "CONFIG", "SET", "port", str(port), tls=True)
        n.plain_port = port
    st.save(state)


def front_name(rp: RedisPlan) -> str:
    """Name of the group's own front process (TLS + plain text on one port per node)."""
    return f"{rp.group_id}-tls-front"


def _start_front(state: st.State, rp: RedisPlan, nodes: list[Proc]) -> None:
    """Start the group's front process (tracked from the spawn), then let every node announce its front port."""
    ports = runtime.allocate_ports(len(nodes))
    proc = Proc(kind="front", stack=rp.stack, resource=rp.logical_id, group=rp.group_id, name=front_name(rp),
                port=ports[0], dir=str(Path(state.state_dir) / rp.stack / rp.logical_id / "tls-front"),
                role="endpoints")
    fronts = []
    for n, port in zip(nodes, ports, strict=True):
        fronts.append({"listen": port, "tls": n.tls_port, "plain": n.plain_port})
        proc.endpoints[f"front {n.name}"] = port
    conf = Path(proc.dir) / "fronts.json"
    configs.write(conf, json.dumps({"fronts": fronts, "memcached_config": []}))
    proc.argv = [sys.executable, str(Path(cmd.__file__).with_name("proxy.py")), str(conf)]
    state.procs.append(proc)
    child = runtime.spawn(proc)
    st.save(state)
    st.record_started(Path(state.state_dir), proc)
    runtime.wait_listening([(proc, child)])
    for n, port in zip(nodes, ports, strict=True):
        n.front_port = port
        if rp.cluster_mode:
            _each(state, [n], "CONFIG", "SET", "cluster-announce-port", str(port), "cluster-announce-tls-port",
                  str(port), tls=True)
    st.save(state)
    if rp.cluster_mode:
        _wait_announced(state, nodes, tls=True)


def _stop_front(state: st.State, rp: RedisPlan) -> None:
    gone = [p for p in state.procs_of(rp.stack, rp.logical_id) if p.kind == "front"]
    runtime.stop(gone)
    state.procs = [p for p in state.procs if p not in gone]
    st.save(state)


def _drop_plain(state: st.State, rp: RedisPlan, nodes: list[Proc]) -> None:
    """preferred -> required: replication over TLS, nodes announce their TLS port, plain ports closed."""
    _drop_listener(state, rp, nodes, keep_tls=True)


def _drop_tls(state: st.State, rp: RedisPlan, nodes: list[Proc]) -> None:
    """preferred -> disabled: replication and cluster bus in plain text, TLS ports closed."""
    _drop_listener(state, rp, nodes, keep_tls=False)


def _drop_listener(state: st.State, rp: RedisPlan, nodes: list[Proc], *, keep_tls: bool) -> None:
    """Leave ``preferred`` for one transport: internal links and announcements first, then close the other port."""
    _internal_links(state, rp, nodes, tls=keep_tls)
    for n in nodes:
        if rp.cluster_mode:
            announced = str(n.tls_port) if keep_tls else "0"
            _each(state, [n], "CONFIG", "SET", "cluster-announce-port", announced,
                  "cluster-announce-tls-port", announced, tls=keep_tls)
        n.front_port = None
    if rp.cluster_mode:
        _wait_announced(state, nodes, tls=keep_tls)
    sentinel_tls.refresh(state, rp, internal_tls=keep_tls)
    for n in nodes:
        closing = n.plain_port if keep_tls else n.tls_port
        c = _admin(state, n, tls=keep_tls)
        try:
            c.execute_command("CONFIG", "SET", "port" if keep_tls else "tls-port", "0")
            c.execute_command("CLIENT", "KILL", "LADDR", f"{LOOPBACK}:{closing}")
        finally:
            c.close()
        if keep_tls:
            n.plain_port = None
        else:
            n.tls_port, n.tls, n.port = None, False, n.plain_port or 0
    _stop_front(state, rp)


def _internal_links(state: st.State, rp: RedisPlan, nodes: list[Proc], *, tls: bool) -> None:
    """Replication (and in cluster mode the cluster bus) over TLS or plain text, as a group created in that
    mode has them (nodes added later get the same configuration)."""
    value = "yes" if tls else "no"
    _each(state, nodes, "CONFIG", "SET", "tls-replication", value, tls=tls)
    if rp.cluster_mode:
        if _config(state, nodes[0], "tls-cluster") != value:
            # Cluster bus links reconnect with the other transport: with the emulator's 1 s node timeout a node
            # could be taken for failed meanwhile; ElastiCache's 15 s while they change, the short one after.
            _each(state, nodes, "CONFIG", "SET", "cluster-node-timeout", str(MIGRATION_NODE_TIMEOUT_MS), tls=tls)
            _each(state, nodes, "CONFIG", "SET", "tls-cluster", value, tls=tls)
            wait_until("the cluster bus links to reconnect", functools.partial(_bus_up, state, nodes, tls), TIMEOUT)
            _each(state, nodes, "CONFIG", "SET", "cluster-node-timeout",
                  str(configs.cluster_node_timeout_ms(rp.node_count)), tls=tls)
    else:
        _repoint_replicas(state, rp, nodes, tls=tls)


def _config(state: st.State, node: Proc, name: str) -> str:
    c = _admin(state, node, tls=node.tls)
    try:
        return str(c.config_get(name).get(name, ""))
    finally:
        c.close()


def _bus_up(state: st.State, nodes: list[Proc], tls: bool) -> bool:
    for n in nodes:
        c = _admin(state, n, tls=tls)
        try:
            view = parse_cluster_nodes(raw(c, "CLUSTER", "NODES"))
        finally:
            c.close()
        if len(view) != len(nodes) or any(v["link"] != "connected" or v["flags"] & {"fail", "fail?"} for v in view):
            return False
    return True


def _repoint_replicas(state: st.State, rp: RedisPlan, nodes: list[Proc], *, tls: bool) -> None:
    """Cluster mode disabled: every replica follows the primary's TLS (or plain) port (a partial resync)."""
    primary = current_primary(state, rp)
    port = primary.tls_port if tls else primary.plain_port
    for n in nodes:
        if n.name != primary.name:
            _each(state, [n], "REPLICAOF", LOOPBACK, str(port), tls=tls)


def _announced_everywhere(state: st.State, nodes: list[Proc], tls: bool) -> bool:
    want = {str(n.node_id): n.front_port or (n.tls_port if tls else n.plain_port) for n in nodes}
    for n in nodes:
        c = _admin(state, n, tls=tls)
        try:
            seen = {v["id"]: v["port"] for v in parse_cluster_nodes(raw(c, "CLUSTER", "NODES"))}
        except redis.RedisError:
            return False
        finally:
            c.close()
        if seen != want:
            return False
    return True


def _wait_announced(state: st.State, nodes: list[Proc], *, tls: bool) -> None:
    wait_until("every node to see the new client ports", functools.partial(_announced_everywhere, state, nodes, tls),
               TIMEOUT)


def _linked(state: st.State, n: Proc) -> bool:
    c = _admin(state, n, tls=n.tls)
    try:
        info = c.info("replication")
        return info.get("role") == "master" or str(info.get("master_link_status")) == "up"
    except redis.RedisError:
        return False
    finally:
        c.close()


def _wait_replicas_linked(state: st.State, rp: RedisPlan, nodes: list[Proc]) -> None:
    for n in nodes:
        wait_until(f"{n.name} to be in sync with its primary", functools.partial(_linked, state, n), TIMEOUT)
