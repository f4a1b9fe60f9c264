"""A Sentinel-managed group's Sentinels and endpoint proxy follow an in-transit encryption mode change.

Sentinel cannot change its listeners or the transport of its links to the servers at run time (its ``CONFIG SET``
covers a few settings only), so :mod:`.tls_mode` calls :func:`refresh` while both old and new server listeners
are open: the group's Sentinels restart together with a configuration generated for the new mode (same ids,
the current primary and its replicas on the ports of the transport the servers now replicate over), then the
endpoint proxy restarts on the same primary/reader ports with the matching transport map (``preferred``: plain-
text clients to the node's plain port, TLS clients to its TLS port). Meanwhile no failover can start (about a
second); the servers, their data and their replication are untouched.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import redis

from .. import commands as cmd
from .. import configs, runtime
from .. import state as st
from ..clients import raw
from ..cluster import wait_until
from ..model import RedisPlan
from ..runtime import Proc
from .nodes import env_of
from .observe import client, current_primary, redis_nodes

TIMEOUT = 30.0


def refresh(state: st.State, rp: RedisPlan, *, internal_tls: bool) -> None:
    """Restart ``rp``'s Sentinels and endpoint proxy for mode ``rp.tls``; servers replicate over TLS when
    ``internal_tls`` (the Sentinels then monitor their TLS ports)."""
    procs = state.procs_of(rp.stack, rp.logical_id)
    sentinels = [p for p in procs if p.kind == "sentinel"]
    if not sentinels:
        return
    want_tls, want_plain = rp.tls != "off", rp.tls != "required"
    missing = [(s, "tls_port") for s in sentinels if want_tls and not s.tls_port]
    missing += [(s, "plain_port") for s in sentinels if want_plain and not s.plain_port]
    for (s, attr), port in zip(missing, runtime.allocate_ports(len(missing)), strict=True):
        setattr(s, attr, port)
    for s in sentinels:
        s.tls_port = s.tls_port if want_tls else None
        s.plain_port = s.plain_port if want_plain else None
        s.tls = want_tls
        s.port = (s.tls_port if want_tls else s.plain_port) or 0
    primary = current_primary(state, rp)
    replicas = [n for n in redis_nodes(state, rp) if n.name != primary.name]

    def monitored(n: Proc) -> Proc:  # the address Sentinel knows a server by: its replication transport's port
        return dataclasses.replace(n, port=(n.tls_port if internal_tls else n.plain_port) or n.port)

    runtime.stop(sentinels)
    env = env_of(state)
    for s in sentinels:
        conf = Path(s.dir) / "sentinel.conf"
        text = configs.sentinel_conf(rp, s, sentinels, monitored(primary), [monitored(r) for r in replicas], env)
        if s.tls_port:
            text += f"tls-replication {'yes' if internal_tls else 'no'}\n"  # how Sentinel talks to the servers
        configs.write(conf, text)
    _restart(state, sentinels)
    name = configs.sentinel_master_name(rp)
    for s in sentinels:
        wait_until(f"{s.name} to monitor {name} again",
                   functools.partial(_monitoring, state, s, name, len(sentinels), len(replicas)), TIMEOUT)
    for proxy in [p for p in procs if p.kind == "proxy"]:
        runtime.stop([proxy])
        proxy.tls = want_tls
        conf = Path(proxy.dir) / "endpoints.json"
        nodes = redis_nodes(state, rp)
        configs.write(conf, json.dumps({"ca_file": state.ca_file, "endpoints": [
            {"listen": port, "kind": kind, "master": name, "sentinels": [s.port for s in sentinels],
             "tls": proxy.tls, "fallback": monitored(primary).port,
             "plain_of": {str(n.tls_port): n.plain_port for n in nodes} if rp.tls == "preferred" else None}
            for kind, port in proxy.endpoints.items()
        ]}))
        _restart(state, [proxy])


def _restart(state: st.State, procs: list[Proc]) -> None:
    children = []
    for p in procs:
        children.append((p, runtime.spawn(p)))
        st.record_started(Path(state.state_dir), p)
    st.save(state)  # tracked (new pids) before waiting
    runtime.wait_listening(children)


def _monitoring(state: st.State, s: Proc, name: str, sentinels: int, replicas: int) -> bool:
    c = client(state, s)
    try:
        master = cmd.pairs(raw(c, "SENTINEL", "MASTER", name))
        return (master.get("flags") == "master" and int(master.get("num-other-sentinels", 0)) == sentinels - 1
                and int(master.get("num-slaves", 0)) >= replicas)
    except redis.RedisError:
        return False
    finally:
        c.close()
