"""Start real ``redis-server`` / ``memcached`` processes on loopback for tests and benchmarks.

Everything here listens on 127.0.0.1 only, on free ports, with its files in a temporary directory,
and is stopped by :meth:`ManagedProcess.stop` (the test fixtures and the benchmark always call it).
Processes and certificates come from the emulator's own layer (:mod:`elasticache_local.runtime`: spawn, pid +
start-time identity, stop; :mod:`elasticache_local.tlsgen`: the local CA), so there is one copy of that code.
The cluster helper builds a Redis Cluster by hand (``CLUSTER ADDSLOTSRANGE`` / ``MEET`` /
``REPLICATE``) because ``redis-cli --cluster create`` is slow and interactive.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from elasticache_local import runtime
from elasticache_local.tlsgen import TlsFiles
from elasticache_local.tlsgen import generate as make_tls_files

__all__ = [
    "HASH_SLOTS",
    "ManagedProcess",
    "RedisClusterServers",
    "RedisServer",
    "TlsFiles",
    "free_port",
    "make_tls_files",
    "slot_ranges",
    "start_cluster",
    "start_memcached",
    "start_redis",
    "wait_for",
]

REDIS_SERVER = shutil.which("redis-server") or "redis-server"
MEMCACHED = shutil.which("memcached") or "memcached"
HASH_SLOTS = 16384


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    return runtime.allocate_ports(1)[0]


def wait_for(predicate: object, timeout: float = 15.0, interval: float = 0.05, what: str = "condition") -> None:
    """Poll ``predicate()`` until it returns a truthy value; raise ``TimeoutError`` naming ``what``."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as exc:  # the server may not be up yet
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error!r})")


@dataclass
class ManagedProcess:
    """A server process we started (an :class:`elasticache_local.runtime.Proc`); :meth:`stop` ends it by pid."""

    name: str
    proc: runtime.Proc
    workdir: Path
    host: str
    port: int
    owns_workdir: bool = False

    def running(self) -> bool:
        """True while the process we started is alive (same pid and start time)."""
        return runtime.is_ours(self.proc)

    def stop(self) -> None:
        """SIGTERM the process (SIGKILL if it lingers), wait, and remove the working directory if we created it."""
        runtime.stop([self.proc], timeout=10)
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the server log (for error messages)."""
        return runtime.log_tail(self.proc, lines)


@dataclass
class RedisServer(ManagedProcess):
    """A running ``redis-server``."""

    password: str | None = None
    tls: TlsFiles | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """A ``redis://`` / ``rediss://`` URL for this server, with the password when it has one."""
        scheme = "rediss" if self.tls else "redis"
        auth = f":{self.password}@" if self.password else ""
        return f"{scheme}://{auth}{self.host}:{self.port}"

    def client(self, **kwargs: object) -> redis.Redis:
        """An admin client for the test itself (not the tool under test)."""
        options: dict[str, object] = {"host": self.host, "port": self.port, "password": self.password}
        if self.tls:
            options.update(ssl=True, ssl_ca_certs=str(self.tls.ca_cert))
        options.update(kwargs)
        return redis.Redis(**options)  # type: ignore[arg-type]

    def cluster_bus_port(self) -> int:
        """The node's cluster bus port (``cluster-port``)."""
        return int(self.extra["cluster-port"])


def _start(kind: str, name: str, argv: list[str], workdir: Path, port: int) -> runtime.Proc:
    proc = runtime.Proc(kind=kind, stack="test", resource=name, group=name, name=name, port=port, dir=str(workdir),
                        argv=argv)
    runtime.spawn(proc)
    return proc


def start_redis(
    *,
    password: str | None = None,
    tls: TlsFiles | None = None,
    config: dict[str, str] | None = None,
    workdir: Path | None = None,
    port: int | None = None,
    name: str = "redis",
    ready_timeout: float = 15.0,
) -> RedisServer:
    """Start ``redis-server`` on 127.0.0.1 and wait until it answers PING.

    ``tls`` makes the server TLS-only (``port 0``, ``tls-port``); ``config`` adds raw directives
    (e.g. ``{"maxmemory": "1", "maxmemory-policy": "noeviction"}``); ``password`` sets ``requirepass``.
    """
    owns = workdir is None
    wd = Path(tempfile.mkdtemp(prefix=f"smoke-{name}-")) if workdir is None else workdir
    wd.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    directives: dict[str, str] = {
        "bind": "127.0.0.1",
        "daemonize": "no",
        "save": '""',
        "appendonly": "no",
        "dir": str(wd),
        "logfile": '""',
        "protected-mode": "no",
    }
    if tls:
        directives.update(
            {
                "port": "0",
                "tls-port": str(port),
                "tls-cert-file": str(tls.cert),
                "tls-key-file": str(tls.key),
                "tls-ca-cert-file": str(tls.ca_cert),
                "tls-auth-clients": "no",
            }
        )
    else:
        directives["port"] = str(port)
    if password:
        directives["requirepass"] = password
    directives.update(config or {})
    conf = wd / "redis.conf"
    conf.write_text("".join(f"{key} {value}\n" for key, value in directives.items()))
    proc = _start("redis", name, [REDIS_SERVER, str(conf)], wd, port)
    server = RedisServer(name, proc, wd, "127.0.0.1", port, owns, password=password, tls=tls, extra=directives)
    admin = server.client(socket_timeout=2, socket_connect_timeout=2)
    try:

        def ready() -> bool:
            if not server.running():
                raise RuntimeError(f"{name} exited:\n{server.log_tail()}")
            return bool(admin.ping())

        wait_for(ready, timeout=ready_timeout, what=f"{name} on port {port}")
    except BaseException:
        server.stop()
        raise
    finally:
        admin.close()
    return server


def start_memcached(*, port: int | None = None, memory_mb: int = 16, tls: TlsFiles | None = None) -> ManagedProcess:
    """Start ``memcached`` on 127.0.0.1 (TCP only; TLS-only with ``tls``) and wait until it answers ``version``."""
    import ssl

    from pymemcache.client.base import Client

    wd = Path(tempfile.mkdtemp(prefix="smoke-memcached-"))
    port = port or free_port()
    argv = [MEMCACHED, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", str(memory_mb), "-t", "2"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    context = None
    if tls:
        argv += ["-Z", "-o", f"ssl_chain_cert={tls.cert},ssl_key={tls.key}"]
        context = ssl.create_default_context(cafile=str(tls.ca_cert))
    proc = _start("memcached", "memcached", argv, wd, port)
    server = ManagedProcess("memcached", proc, wd, "127.0.0.1", port, True)
    client = Client(("127.0.0.1", port), connect_timeout=1, timeout=1, tls_context=context)
    try:

        def ready() -> bool:
            if not server.running():
                raise RuntimeError(f"memcached exited:\n{server.log_tail()}")
            return bool(client.version())

        wait_for(ready, what=f"memcached on port {port}")
    except BaseException:
        server.stop()
        raise
    finally:
        client.close()
    return server


@dataclass
class RedisClusterServers:
    """A local Redis Cluster: ``shards`` primaries with ``replicas`` replicas each."""

    nodes: list[RedisServer]
    primaries: list[RedisServer]
    replicas: list[RedisServer]
    workdir: Path

    @property
    def seed(self) -> RedisServer:
        """The node clients start from (plays the configuration endpoint)."""
        return self.primaries[0]

    @property
    def url(self) -> str:
        """URL of the seed node."""
        return self.seed.url

    def stop(self) -> None:
        """Stop every node and remove the cluster's directory."""
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def slot_ranges(shards: int) -> list[tuple[int, int]]:
    """Split the 16384 slots into ``shards`` contiguous ranges like ElastiCache does."""
    base, extra = divmod(HASH_SLOTS, shards)
    ranges, start = [], 0
    for index in range(shards):
        size = base + (1 if index < extra else 0)
        ranges.append((start, start + size - 1))
        start += size
    return ranges


def start_cluster(
    *, shards: int = 3, replicas: int = 1, password: str | None = None, tls: TlsFiles | None = None
) -> RedisClusterServers:
    """Start ``shards * (1 + replicas)`` nodes with ``cluster-enabled yes`` and wire them up by hand.

    Slots are assigned with ``CLUSTER ADDSLOTSRANGE``, nodes introduced with ``CLUSTER MEET``, replicas
    attached with ``CLUSTER REPLICATE``; returns once every node reports ``cluster_state:ok`` and every
    replica's link to its primary is up.
    """
    root = Path(tempfile.mkdtemp(prefix="smoke-cluster-"))
    nodes: list[RedisServer] = []
    try:
        total = shards * (1 + replicas)
        for index in range(total):
            config = {
                "cluster-enabled": "yes",
                "cluster-config-file": "nodes.conf",
                "cluster-node-timeout": "5000",
                "cluster-port": str(free_port()),
                "cluster-require-full-coverage": "yes",
                "appendonly": "no",
                # replicas appear in CLUSTER SLOTS once their offset is gossiped: ping them often
                "repl-ping-replica-period": "1",
            }
            if tls:
                config.update({"tls-cluster": "yes", "tls-replication": "yes"})
            if password:
                config["masterauth"] = password
            nodes.append(
                start_redis(
                    password=password,
                    tls=tls,
                    config=config,
                    workdir=root / f"node{index}",
                    name=f"cluster-node{index}",
                )
            )
        primaries, replica_nodes = nodes[:shards], nodes[shards:]
        admins = [node.client(socket_timeout=5, decode_responses=True) for node in nodes]
        ids = [str(admin.execute_command("CLUSTER", "MYID")) for admin in admins]
        for admin, (first, last) in zip(admins, slot_ranges(shards), strict=False):
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        for index, admin in enumerate(admins):
            admin.execute_command("CLUSTER", "SET-CONFIG-EPOCH", index + 1)
        for node in nodes[1:]:
            admins[0].execute_command("CLUSTER", "MEET", node.host, node.port, node.cluster_bus_port())

        def everyone_known() -> bool:
            return all(
                len([line for line in str(admin.execute_command("CLUSTER", "NODES")).splitlines() if line]) == total
                for admin in admins
            )

        wait_for(everyone_known, what="CLUSTER MEET to reach every node")
        for index, node_admin in enumerate(admins[shards:]):
            primary_index = index % shards
            target_id = ids[primary_index]

            def replicate(admin: redis.Redis = node_admin, target: str = target_id) -> bool:
                admin.execute_command("CLUSTER", "REPLICATE", target)
                return True

            wait_for(replicate, what="CLUSTER REPLICATE")

        def healthy() -> bool:
            for admin in admins:
                info = str(admin.execute_command("CLUSTER", "INFO"))
                if "cluster_state:ok" not in info:
                    return False
                nodes_view = str(admin.execute_command("CLUSTER", "NODES")).splitlines()
                flags = [line.split()[2].split(",") for line in nodes_view if line.strip()]
                if sum("slave" in f for f in flags) != shards * replicas:
                    return False
            for admin in admins[shards:]:
                if admin.info("replication").get("master_link_status") != "up":
                    return False
            for admin in admins:
                rows = admin.execute_command("CLUSTER", "SLOTS")
                if sum(max(0, len(row) - 3) for row in rows) != shards * replicas:
                    return False
            return True

        wait_for(healthy, timeout=30, what="cluster_state:ok and replica links up")
        for admin in admins:
            admin.close()
        return RedisClusterServers(nodes, primaries, replica_nodes, root)
    except BaseException:
        for node in nodes:
            node.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
