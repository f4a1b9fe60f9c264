"""Fixtures that start real servers on free loopback ports (session-scoped, always stopped).

Servers: standalone redis-server; TLS-only + AUTH token (CA and server certificate generated here with
``cryptography``); a 3-shard cluster with one replica per shard; a server with a restricted ACL user;
a tiny ``maxmemory`` + ``noeviction`` server; memcached. The helpers live in
``scripts/elasticache_smoke/testing.py`` so ``benchmarks/smoke_bench.py`` can start the same cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_helpers import ACL_ADMIN_PASSWORD, ACL_RULE, TLS_TOKEN

from elasticache_smoke import testing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/live as ``live``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> testing.TlsFiles:
    """A CA and a server certificate for 127.0.0.1 / localhost."""
    return testing.make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> testing.TlsFiles:
    """An unrelated CA (its certificate must not verify the servers)."""
    return testing.make_tls_files(tmp_path_factory.mktemp("other-tls"))


@pytest.fixture(scope="session")
def standalone() -> Iterator[testing.RedisServer]:
    """Plain redis-server without a password."""
    server = testing.start_redis(name="standalone")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_server(tls_files: testing.TlsFiles) -> Iterator[testing.RedisServer]:
    """TLS-only redis-server (no plain port) with an AUTH token."""
    server = testing.start_redis(tls=tls_files, password=TLS_TOKEN, name="tls")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster() -> Iterator[testing.RedisClusterServers]:
    """3 shards x (1 primary + 1 replica), slots assigned by hand, cluster_state:ok."""
    servers = testing.start_cluster(shards=3, replicas=1)
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def acl_server() -> Iterator[testing.RedisServer]:
    """redis-server with an admin password and the restricted user ``ACL_RULE``."""
    server = testing.start_redis(password=ACL_ADMIN_PASSWORD, config={"user": ACL_RULE}, name="acl")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oom_server() -> Iterator[testing.RedisServer]:
    """redis-server with ``maxmemory 1`` byte and ``noeviction``: every denyoom write fails."""
    server = testing.start_redis(config={"maxmemory": "1", "maxmemory-policy": "noeviction"}, name="oom")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_cluster(tls_files: testing.TlsFiles) -> Iterator[testing.RedisClusterServers]:
    """The production shape: 3 shards x 2 nodes, TLS everywhere (clients, bus, replication) + AUTH token.

    Module-scoped so its six processes stop as soon as the module using it is done.
    """
    servers = testing.start_cluster(shards=3, replicas=1, password=TLS_TOKEN, tls=tls_files)
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def memcached_tls(tls_files: testing.TlsFiles) -> Iterator[testing.ManagedProcess]:
    """TLS-only memcached (``-Z``)."""
    server = testing.start_memcached(tls=tls_files)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def memcached() -> Iterator[testing.ManagedProcess]:
    """memcached on loopback."""
    server = testing.start_memcached()
    yield server
    server.stop()
