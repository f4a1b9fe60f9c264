"""redis-py connections to emulated nodes (as the emulator's admin user) and small helpers."""

from __future__ import annotations

import functools
import ssl
from pathlib import Path
from typing import Any

import redis
from redis.connection import SSLConnection
from redis.driver_info import DriverInfo

from .acl import ADMIN_USER
from .runtime import LOOPBACK, Proc


def tls_context(ca_file: str) -> ssl.SSLContext:
    """A verifying client context trusting only the CA in ``ca_file`` (cached per CA content, not per path:
    every ``up`` generates a new CA at the same path)."""
    return _context_for(Path(ca_file).read_text())


@functools.lru_cache(maxsize=8)
def _context_for(ca_pem: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=ca_pem)
    return ctx


class LocalCaSSLConnection(SSLConnection):
    """redis-py's TLS connection with a cached context.

    redis-py builds ``ssl.create_default_context()`` for every connection, which parses the system trust store:
    about 25 ms per connection. The emulated servers are signed by the local CA only, so one cached context that
    trusts just that CA is both faster and stricter.
    """

    def _wrap_socket_with_ssl(self, sock: Any) -> Any:
        return tls_context(str(self.ca_certs)).wrap_socket(sock, server_hostname=self.host)


#: One driver description for every client: without it redis-py reads its own package metadata for each client and
#: connection (``importlib.metadata.version``, ~10 ms each: 5 s of a 500-node cluster's start).
DRIVER_INFO = DriverInfo()


def node_client(proc: Proc, admin_password: str, ca_file: str | Path | None, timeout: float = 2.0) -> redis.Redis:
    """A client for one node (redis-server or Sentinel) on its client port."""
    kwargs: dict[str, Any] = {
        "host": LOOPBACK,
        "port": proc.port,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": True,
        "driver_info": DRIVER_INFO,
    }
    if proc.kind == "redis":
        kwargs.update(username=ADMIN_USER, password=admin_password)
    if proc.tls:
        pool = redis.ConnectionPool(
            connection_class=LocalCaSSLConnection, ssl_ca_certs=str(ca_file), ssl_cert_reqs="required", **kwargs
        )
        return redis.Redis(connection_pool=pool)
    return redis.Redis(**kwargs)


def raw(client: redis.Redis, *args: Any) -> Any:
    """Run a command without redis-py's response parsing (``CLUSTER NODES`` stays text)."""
    return client.execute_command(*args)


def parse_cluster_nodes(text: str) -> list[dict[str, Any]]:
    """``CLUSTER NODES`` text -> one dict per line (id, addr, port, flags, master, epoch, link, slots)."""
    nodes = []
    for line in text.strip().splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        addr = parts[1].split(",")[0]
        hostport = addr.split("@")[0]
        port = int(hostport.rsplit(":", 1)[1]) if ":" in hostport else 0
        slots: list[tuple[int, int]] = []
        for item in parts[8:]:
            if item.startswith("["):
                continue  # migrating/importing markers
            a, _, b = item.partition("-")
            slots.append((int(a), int(b or a)))
        nodes.append({
            "id": parts[0],
            "port": port,
            "flags": set(parts[2].split(",")),
            "master": parts[3],
            "epoch": int(parts[6]),
            "link": parts[7],
            "slots": slots,
        })
    return nodes


def info_fields(text: str) -> dict[str, str]:
    """``CLUSTER INFO`` style ``key:value`` text -> dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep:
            out[key] = value
    return out


def pairs(items: Any) -> dict[str, Any]:
    """A flat ``[key, value, ...]`` reply (or a dict) as a dict with string keys."""
    if isinstance(items, dict):
        return {str(k): v for k, v in items.items()}
    it = list(items)
    return {str(it[i]): it[i + 1] for i in range(0, len(it) - 1, 2)}
