"""Endpoint process: Sentinel-following primary/reader endpoints, one-port TLS+plain fronts, Memcached discovery.

Besides the ``primary``/``reader`` endpoints below, the same process serves the ``front`` ports of ``preferred``
TLS nodes and Memcached configuration endpoints (``memcached-config``); see ``sniff.py``.

Stable primary and reader endpoints for Sentinel-managed groups: the local stand-in for ElastiCache's DNS names.

ElastiCache's primary endpoint is a DNS name that moves to the new primary after a failover; its reader endpoint
spreads connections over the replicas. Locally both are ports of this small TCP forwarder (one process per state
directory, ``python -m elasticache_local.proxy CONFIG``). For every new connection it asks the group's Sentinels
where the primary is (``SENTINEL GET-MASTER-ADDR-BY-NAME``) or which replicas are healthy (``SENTINEL REPLICAS``)
and then copies bytes both ways. TLS passes through untouched: the client's TLS session is with the server.
Existing connections to a failed primary are closed, as on ElastiCache; new ones reach the new primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # run as a script (python proxy.py CONFIG) or imported as elasticache_local.proxy
    from . import sniff
except ImportError:  # pragma: no cover - script mode
    import sniff  # type: ignore[no-redef]

LOOPBACK = "127.0.0.1"
CACHE_SECONDS = 0.2


@dataclass
class Endpoint:
    """One listening port: ``primary`` or ``reader`` of a Sentinel-monitored group."""

    listen: int
    kind: str
    master: str
    sentinels: list[int]
    tls: bool
    fallback: int  # where to go if no Sentinel answers (the initial primary)
    #: ``preferred`` TLS: a node's TLS port -> its plain-text port (plain clients are sent there).
    plain_of: dict[str, int] | None = None


class _Resolver:
    def __init__(self, ca_file: str | None) -> None:
        self.ctx: ssl.SSLContext | None = None
        if ca_file:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self.ctx.load_verify_locations(cafile=ca_file)
        self.cache: dict[tuple[str, str], tuple[float, Any]] = {}
        #: The last answer a Sentinel gave per endpoint: when none answers (busy, restarting), clients keep going
        #: where the endpoint last led, as a DNS record keeps its last value. Never the initial primary once a
        #: failover has moved it: that node may now be a replica.
        self.last_good: dict[tuple[str, str], list[int]] = {}

    async def _ask(self, ep: Endpoint, port: int, *args: str) -> Any:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(LOOPBACK, port, ssl=self.ctx if ep.tls else None,
                                    server_hostname=LOOPBACK if ep.tls else None),
            timeout=0.5,
        )
        try:
            writer.write(b"".join([f"*{len(args)}\r\n".encode()]
                                  + [f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args]))
            await writer.drain()
            return await asyncio.wait_for(_read_resp(reader), timeout=0.5)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def targets(self, ep: Endpoint, fresh: bool = False) -> list[int]:
        key = (ep.master, ep.kind)
        hit = self.cache.get(key)
        if hit and not fresh and time.monotonic() - hit[0] < CACHE_SECONDS:
            return list(hit[1])
        result: list[int] = []
        errors: list[str] = []
        for port in random.sample(ep.sentinels, len(ep.sentinels)):
            try:
                if ep.kind == "primary":
                    addr = await self._ask(ep, port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ep.master)
                    result = [int(addr[1])] if addr else []
                else:
                    replicas = await self._ask(ep, port, "SENTINEL", "REPLICAS", ep.master)
                    for item in replicas or []:
                        fields = dict(zip(item[::2], item[1::2], strict=False))
                        if fields.get("flags") == "slave" and fields.get("master-link-status") == "ok":
                            result.append(int(fields["port"]))
                    if not result:
                        addr = await self._ask(ep, port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ep.master)
                        result = [int(addr[1])] if addr else []
                if result:
                    break
                errors.append(f"sentinel :{port} has no answer for {ep.master}")
            except (TimeoutError, OSError, ValueError, IndexError, RuntimeError, ssl.SSLError) as exc:
                errors.append(f"sentinel :{port}: {type(exc).__name__} {exc}")
        if result:
            self.last_good[key] = result
        else:
            result = self.last_good.get(key, [ep.fallback])
            print(f"{ep.kind} endpoint :{ep.listen}: {'; '.join(errors)}; using {result}", file=sys.stderr,
                  flush=True)
        self.cache[key] = (time.monotonic(), result)
        return result


async def _read_resp(reader: asyncio.StreamReader) -> Any:
    line = await reader.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [await _read_resp(reader) for _ in range(n)]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = await reader.readexactly(n + 2)
        return data[:-2].decode()
    if kind in (b"+", b":"):
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    raise ValueError(f"unexpected reply {line!r}")


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await src.read(65536)
            if not data:
                break
            dst.write(data)
            await dst.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            dst.close()


async def _splice(first: bytes, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, port: int,
                  tls: ssl.SSLContext | None = None) -> None:
    """Connect to ``port`` (over TLS with ``tls``), send the bytes already read, then copy both ways."""
    try:
        up_r, up_w = await asyncio.wait_for(asyncio.open_connection(
            LOOPBACK, port, ssl=tls, server_hostname=LOOPBACK if tls else None), timeout=1.0)
    except (TimeoutError, OSError):
        client_w.close()
        return
    if first:
        up_w.write(first)
    await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))


def _handler(ep: Endpoint, resolver: _Resolver) -> Any:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        first = b""
        if ep.plain_of is not None:  # preferred TLS: the first bytes say which transport the client speaks
            first = await client_r.read(65536)
        upstream = None
        for attempt in range(2):
            ports = await resolver.targets(ep, fresh=attempt > 0)
            port = random.choice(ports)
            if ep.plain_of is not None and not sniff.is_tls(first):
                port = ep.plain_of.get(str(port), port)
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), timeout=1.0)
                break
            except (TimeoutError, OSError):
                continue
        if upstream is None:
            client_w.close()
            return
        up_r, up_w = upstream
        if first:
            up_w.write(first)
        await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))

    return handle


def _front_handler(tls_port: int, plain_port: int) -> Any:
    """One node's front port: TLS clients to ``tls_port``, plain-text clients to ``plain_port``."""
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        first = await client_r.read(65536)
        await _splice(first, client_r, client_w, tls_port if sniff.is_tls(first) else plain_port)

    return handle


def _discovery_handler(target: int, body_file: Path, upstream_tls: ssl.SSLContext | None) -> Any:
    """A Memcached configuration endpoint: answer auto discovery (from ``body_file``, read per request: a node
    count change rewrites it), forward anything else to ``target``."""
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await client_r.readuntil(b"\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
                partial = getattr(exc, "partial", b"")
                if partial:
                    await _splice(partial, client_r, client_w, target, upstream_tls)
                else:
                    client_w.close()
                return
            reply = sniff.discovery_reply(line, body_file.read_bytes())
            if reply is None:
                await _splice(line, client_r, client_w, target, upstream_tls)
                return
            client_w.write(reply)
            await client_w.drain()

    return handle


async def serve(config: dict[str, Any]) -> None:
    """Listen on every configured endpoint until SIGTERM."""
    resolver = _Resolver(config.get("ca_file"))
    servers = []
    for raw in config.get("endpoints", []):
        ep = Endpoint(**raw)
        servers.append(await asyncio.start_server(_handler(ep, resolver), LOOPBACK, ep.listen, reuse_address=True))
    for front in config.get("fronts", []):
        servers.append(await asyncio.start_server(_front_handler(front["tls"], front["plain"]), LOOPBACK,
                                                  front["listen"], reuse_address=True))
    for mc in config.get("memcached_config", []):
        server_tls = client_tls = None
        if mc.get("tls"):
            server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server_tls.load_cert_chain(mc["tls"]["cert"], mc["tls"]["key"])
            client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            client_tls.load_verify_locations(cafile=mc["tls"]["ca"])
        handler = _discovery_handler(mc["target"], Path(mc["body_file"]), client_tls)
        servers.append(await asyncio.start_server(handler, LOOPBACK, mc["listen"], ssl=server_tls,
                                                  reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m elasticache_local.proxy CONFIG.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m elasticache_local.proxy CONFIG.json", file=sys.stderr)
        return 2
    asyncio.run(serve(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
