"""Memcached: every node of a cluster, found through ElastiCache auto discovery.

ElastiCache's configuration endpoint answers ``config get cluster`` with the cluster's node list
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoDiscovery.HowAutoDiscoveryWorks.html, and the
command's format in .../AutoDiscovery.AddingToYourClientLibrary.html)::

    CONFIG cluster 0 147\r\n
    12\n
    myCluster.pc4ldq.0001.use1.cache.amazonaws.com|10.82.235.120|11211 myCluster...0002...|10.80.249.27|11211\n
    \r\n
    END\r\n

The first line of the payload is the configuration version, the second the nodes as ``host|ip|port``. A plain
``memcached`` (the local emulator, a self-managed server) answers ``ERROR``; then the listed nodes are used.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from .target import Target

AUTO_DISCOVERY_COMMAND = b"config get cluster\r\n"


def parse_cluster_config(response: bytes) -> tuple[int, list[tuple[str, int]]]:
    """``(version, [(host, port), ...])`` from a ``config get cluster`` response; ``ValueError`` if it is not one."""
    text = response.decode("utf-8", errors="replace")
    if not text.startswith("CONFIG cluster"):
        raise ValueError(f"not a config get cluster response: {text[:40]!r}")
    lines = [line.strip() for line in text.split("\n")]
    payload = [line for line in lines[1:] if line and line != "END"]
    if len(payload) < 2:
        raise ValueError("config get cluster response without a version and a node list")
    version = int(payload[0])
    nodes = []
    for item in payload[1].split():
        host, ip, port = item.split("|")
        nodes.append((host or ip, int(port)))
    return version, nodes


def _read_reply(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        done = data.endswith(b"END\r\n") if data.startswith(b"CONFIG") else data.endswith(b"\r\n")
        if done:
            return data


def discover_nodes(
    host: str, port: int, *, tls_context: ssl.SSLContext | None = None, timeout: float = 2.0
) -> list[tuple[str, int]] | None:
    """The nodes from auto discovery, or ``None`` when the endpoint does not answer it (plain memcached)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock: socket.socket = tls_context.wrap_socket(raw, server_hostname=host) if tls_context else raw
            sock.settimeout(timeout)
            sock.sendall(AUTO_DISCOVERY_COMMAND)
            reply = _read_reply(sock)
    except (OSError, ssl.SSLError):
        return None  # the version probe that follows names the stage that fails
    if not reply.startswith(b"CONFIG cluster"):
        return None
    try:
        return parse_cluster_config(reply)[1]
    except ValueError:
        return None


def memcached_nodes(target: Target, tls_context: ssl.SSLContext | None, timeout: float) -> list[tuple[str, int]]:
    """Auto-discovered nodes when the endpoint answers ``config get cluster``, else ``target.nodes`` or itself."""
    found = discover_nodes(target.host, target.port, tls_context=tls_context, timeout=timeout)
    if found:
        return found
    return list(target.nodes) or [(target.host, target.port)]


def memcached_client(
    target: Target, nodes: list[tuple[str, int]], tls_context: ssl.SSLContext | None, timeout: float
) -> Any:
    """A pymemcache client: ``HashClient`` over several nodes (retries a failed node, then marks it dead)."""
    from pymemcache.client.base import Client
    from pymemcache.client.hash import HashClient

    common: dict[str, Any] = {
        "connect_timeout": timeout,
        "timeout": timeout,
        "tls_context": tls_context,
        "default_noreply": False,
    }
    if len(nodes) > 1:
        return HashClient(nodes, use_pooling=False, retry_attempts=2, retry_timeout=1, dead_timeout=30, **common)
    return Client(nodes[0], **common)
