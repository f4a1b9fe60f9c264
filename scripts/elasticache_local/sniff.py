"""One port for TLS and plain text (``TransitEncryptionMode: preferred``), and Memcached auto discovery.

ElastiCache accepts TLS and plain-text connections on the same endpoint and port while a group is in ``preferred``
mode. Redis and Valkey listen for TLS and plain text on two ports, so each node of a ``preferred`` group gets a
*front* port in the endpoint process (``proxy.py``): it reads the client's first bytes - a TLS ClientHello starts
with the handshake record type 0x16, which no Redis command starts with (RESP arrays start with ``*``, inline
commands with a letter) - and forwards the connection, bytes untouched, to the node's TLS or plain port. In
cluster mode the nodes announce the front port (``cluster-announce-port`` = ``cluster-announce-tls-port``), so
``MOVED`` redirects and ``CLUSTER SLOTS`` name a port that works for plain and TLS clients alike (redis-py's
``RedisCluster`` follows them with the transport it started with), on Redis OSS 7.0 and Valkey 8 the same way.

Memcached's configuration endpoint answers ElastiCache's auto-discovery command ``config get cluster`` (and the
pre-1.4.14 ``get AmazonElastiCache:cluster``) with every node; any other first command is forwarded to the first
node, so the endpoint also works as a plain Memcached address. Format:
https://docs.aws.amazon.com/AmazonElastiCache/latest/mem-ug/AutoDiscovery.AddingToYourClientLibrary.html
"""

from __future__ import annotations

TLS_HANDSHAKE = 0x16
DISCOVERY_COMMANDS = (b"config get cluster", b"get AmazonElastiCache:cluster")


def is_tls(first: bytes) -> bool:
    """True when a connection's first bytes are a TLS handshake record (ClientHello)."""
    return bool(first) and first[0] == TLS_HANDSHAKE


def discovery_body(version: int, nodes: list[tuple[str, str, int]]) -> bytes:
    """``<version>\\n<host>|<ip>|<port> ...\\n``: the cluster configuration, one entry per node."""
    return f"{version}\n{' '.join(f'{h}|{ip}|{port}' for h, ip, port in nodes)}\n".encode()


def discovery_reply(command: bytes, body: bytes) -> bytes | None:
    """The reply to an auto-discovery command line (without ``\\r\\n``), or ``None`` for any other command."""
    line = command.strip()
    if line == DISCOVERY_COMMANDS[0]:
        return b"CONFIG cluster 0 %d\r\n%s\r\nEND\r\n" % (len(body), body)
    if line == DISCOVERY_COMMANDS[1]:
        return b"VALUE AmazonElastiCache:cluster 0 %d\r\n%s\r\nEND\r\n" % (len(body), body)
    return None
