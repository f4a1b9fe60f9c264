"""Front ports: one per ``preferred``-TLS node (TLS and plain text, sniffed) and one per Memcached cluster (its
configuration endpoint, answering auto discovery); one endpoint process per state dir serves them (``proxy.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import configs, runtime, sniff
from .model import MemcachedPlan, Plan
from .runtime import LOOPBACK, Proc
from .tlsgen import TlsFiles

Key = tuple[str, str]
FRONT_NAME = "front-endpoints"


def memcached_config_key(mp: MemcachedPlan) -> str:
    """Key of a Memcached configuration endpoint in the front process's ``endpoints``."""
    return f"memcached-config {mp.stack}/{mp.logical_id}"


def write_discovery(front_dir: Path, mp: MemcachedPlan, nodes: list[Proc]) -> Path:
    """Write the auto-discovery answer of ``mp`` (every node) for the front process, which reads it per request.

    The configuration version starts at 1 and goes up by one with every change of the node list, as
    ElastiCache's does (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoDiscovery.AddingToYourClientLibrary.html).
    """
    path = front_dir / f"discovery-{mp.stack}-{mp.logical_id}.txt"
    version = 1
    if path.is_file():
        version = int(path.read_text().split("\n", 1)[0] or "0") + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(sniff.discovery_body(version, [(LOOPBACK, LOOPBACK, n.port) for n in nodes]))
    tmp.replace(path)  # atomic: a discovery request reads the old list or the new one
    return path


def plan_fronts(plan: Plan, nodes_of: dict[Key, list[Proc]], mem_nodes: dict[Key, list[Proc]],
                state_dir: Path, tls: TlsFiles | None) -> Proc | None:
    """Give every ``preferred`` node a ``front_port`` and every plain-text Memcached cluster a configuration port;
    return the process serving them (not started), or ``None`` when nothing needs one.

    A TLS Memcached cluster's configuration endpoint terminates TLS with the local certificate (``tls``) and
    talks TLS to node 1 for everything that is not auto discovery.
    """
    preferred = [n for rp in plan.redis if rp.tls == "preferred" for n in nodes_of[rp.key]]
    memcached = [mp for mp in plan.memcached if mp.resource_type == "CacheCluster"]
    if not preferred and not memcached:
        return None
    ports = runtime.allocate_ports(len(preferred) + len(memcached))
    proc = Proc(kind="front", stack="-", resource="-", group="-", name=FRONT_NAME, port=ports[-1],
                dir=str(state_dir / FRONT_NAME), role="endpoints")
    fronts = []
    for node, port in zip(preferred, ports, strict=False):
        node.front_port = port
        fronts.append({"listen": port, "tls": node.tls_port, "plain": node.plain_port})
        proc.endpoints[f"front {node.name}"] = port
    discovery = []
    for mp, port in zip(memcached, ports[len(preferred):], strict=True):
        nodes = mem_nodes[mp.key]
        body_file = write_discovery(Path(proc.dir), mp, nodes)
        entry: dict[str, object] = {"listen": port, "target": nodes[0].port, "body_file": str(body_file)}
        if mp.tls:
            assert tls is not None
            entry["tls"] = {"cert": str(tls.cert), "key": str(tls.key), "ca": str(tls.ca_cert)}
        discovery.append(entry)
        proc.endpoints[memcached_config_key(mp)] = port
    conf = Path(proc.dir) / "fronts.json"
    configs.write(conf, json.dumps({"fronts": fronts, "memcached_config": discovery}))
    proc.argv = [sys.executable, str(Path(__file__).with_name("proxy.py")), str(conf)]
    return proc
