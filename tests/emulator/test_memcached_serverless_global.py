"""Memcached (2 TLS nodes), a serverless Valkey cache (TLS cluster-mode endpoint + reader endpoint) and a global
datastore (secondary = read-only replicas of the primary group, in another stack). Real processes; each template
set is brought up once."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
import redis
from pymemcache.client.base import Client as MemcacheClient
from pymemcache.client.hash import HashClient

from elasticache_local.clients import parse_cluster_nodes

from .conftest import Running, requires_servers, role_of, running

pytestmark = [pytest.mark.live, requires_servers]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("memcached", tmp_path_factory.mktemp("memcached")) as r:
        yield r


@pytest.fixture(scope="module")
def flex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("serverless", tmp_path_factory.mktemp("serverless")) as r:
        yield r


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("global", tmp_path_factory.mktemp("global")) as r:
        yield r


# ------------------------------------------------------------------------------------------------ Memcached
def test_memcached_one_process_per_node_with_tls(pages: Running) -> None:
    nodes = pages.procs("PagesCluster0001", "memcached")
    assert len(nodes) == 2
    out = pages.outputs["Pages"]
    assert int(out["PagesEndpointPort"]) not in {n.port for n in nodes}  # the configuration endpoint
    assert "PagesAuthToken" not in out
    ctx = ssl.create_default_context(cafile=out["PagesCaFile"])
    client = HashClient([("127.0.0.1", n.port) for n in nodes], tls_context=ctx, connect_timeout=2, timeout=2)
    for i in range(20):
        client.set(f"page:{i}", f"body{i}".encode())
    assert [client.get(f"page:{i}") for i in range(20)] == [f"body{i}".encode() for i in range(20)]
    per_node = [MemcacheClient(("127.0.0.1", n.port), tls_context=ctx).stats()[b"curr_items"] for n in nodes]
    assert sum(per_node) == 20 and all(per_node)  # keys spread over both nodes


def _discover(out: dict[str, str]) -> bytes:
    ctx = ssl.create_default_context(cafile=out["PagesCaFile"])
    address = (out["PagesEndpointAddress"], int(out["PagesEndpointPort"]))
    with socket.create_connection(address, timeout=2) as raw, ctx.wrap_socket(raw, server_hostname=address[0]) as tls:
        tls.sendall(b"config get cluster\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            chunk = tls.recv(4096)
            assert chunk, reply
            reply += chunk
        return reply


def test_configuration_endpoint_answers_auto_discovery_with_every_node(pages: Running) -> None:
    """ElastiCache's format: CONFIG cluster 0 <len>\\r\\n<version>\\n<host>|<ip>|<port> ...\\n\\r\\nEND\\r\\n."""
    nodes = pages.procs("PagesCluster0001", "memcached")
    reply = _discover(pages.outputs["Pages"])
    header, _, rest = reply.partition(b"\r\n")
    assert header.startswith(b"CONFIG cluster 0 ")
    body = rest[: int(header.split()[-1])]
    assert rest[len(body):] == b"\r\nEND\r\n"
    version, entries = body.decode().rstrip("\n").split("\n")
    assert int(version) >= 1
    assert [e.split("|") for e in entries.split(" ")] == [["127.0.0.1", "127.0.0.1", str(n.port)] for n in nodes]


def test_a_client_built_from_auto_discovery_uses_every_node(pages: Running) -> None:
    out = pages.outputs["Pages"]
    _, _, rest = _discover(out).partition(b"\r\n")
    servers = [(e.split("|")[1], int(e.split("|")[2])) for e in rest.decode().split("\n")[1].split(" ")]
    ctx = ssl.create_default_context(cafile=out["PagesCaFile"])
    client = HashClient(servers, tls_context=ctx, connect_timeout=2, timeout=2)
    for i in range(20):
        client.set(f"found:{i}", b"x", noreply=False)  # acknowledged before the per-node counts
    per_node = [MemcacheClient(s, tls_context=ctx).stats()[b"curr_items"] for s in servers]
    assert len(servers) == 2 and all(per_node)
    # Anything but discovery on the configuration endpoint reaches node 1, like a plain Memcached address.
    endpoint = MemcacheClient((out["PagesEndpointAddress"], int(out["PagesEndpointPort"])), tls_context=ctx)
    assert endpoint.get("found:0") in (b"x", None)
    endpoint.set("via-config-endpoint", b"1", noreply=False)  # pymemcache default: noreply, a race
    assert MemcacheClient(servers[0], tls_context=ctx).get("via-config-endpoint") == b"1"
    client.delete_many([f"found:{i}" for i in range(20)] + ["via-config-endpoint"])


def test_memcached_refuses_plain_text(pages: Running) -> None:
    node = pages.procs("PagesCluster0001", "memcached")[0]
    with socket.create_connection(("127.0.0.1", node.port), timeout=2) as s:
        s.sendall(b"version\r\n")
        s.settimeout(1.0)
        try:
            data = s.recv(100)
        except (TimeoutError, ConnectionResetError):
            data = b""
    assert not data.startswith(b"VERSION")


def test_memcached_memory_is_scaled(pages: Running) -> None:
    node = pages.procs("PagesCluster0001", "memcached")[0]
    ctx = ssl.create_default_context(cafile=pages.state.ca_file)
    stats = MemcacheClient(("127.0.0.1", node.port), tls_context=ctx).stats()
    assert int(stats[b"limit_maxbytes"]) == 8 * 1024 * 1024  # cache.t4g.small 1.37 GiB -> 8 MiB floor


# ------------------------------------------------------------------------------------------------ serverless
def test_serverless_is_a_tls_single_shard_cluster_with_a_reader(flex: Running) -> None:
    nodes = flex.procs("FlexCache0001", "redis")
    assert len(nodes) == 2
    out = flex.outputs["Serverless"]
    primary = next(p for p in nodes if p.port == int(out["FlexEndpointPort"]))
    reader = next(p for p in nodes if p.port == int(out["FlexReaderEndpointPort"]))
    assert role_of(flex.admin(primary)) == "master" and role_of(flex.admin(reader)) == "slave"
    view = parse_cluster_nodes(flex.admin(primary).execute_command("CLUSTER", "NODES"))
    masters = [v for v in view if "master" in v["flags"]]
    assert [m["slots"] for m in masters] == [[(0, 16383)]]
    assert primary.plain_port is None and reader.plain_port is None  # TLS only
    rc = redis.RedisCluster(host="127.0.0.1", port=primary.port, ssl=True, ssl_ca_certs=out["FlexCaFile"],
                            decode_responses=True)
    try:
        rc.set("k", "v")
        assert rc.get("k") == "v"
        rc.delete("k")
    finally:
        rc.close()


def test_serverless_storage_limit_sets_maxmemory(flex: Running) -> None:
    for p in flex.procs("FlexCache0001", "redis"):
        c = flex.admin(p)
        assert int(c.config_get("maxmemory")["maxmemory"]) == 10 * 1024 * 1024  # 10 GB -> 10 MiB
        assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"


# ------------------------------------------------------------------------------------------------ global datastore
def test_global_secondary_replicates_the_primary_read_only(orders: Running) -> None:
    primary_nodes = orders.procs("PrimaryGroup0001", "redis")
    secondary_nodes = orders.procs("SecondaryGroup0001", "redis")
    assert len(primary_nodes) == 2 and len(secondary_nodes) == 2
    assert orders.procs("SecondaryGroup0001", "sentinel") == []
    writer = orders.client("GlobalPrimary", "Orders")
    writer.set("order:1", "shipped")
    writer.execute_command("WAIT", 3, 2000)
    reader = orders.client("GlobalSecondary", "Orders")
    assert reader.get("order:1") == "shipped"
    with pytest.raises(redis.exceptions.ReadOnlyError):
        reader.set("order:2", "new")
    for p in secondary_nodes:
        assert role_of(orders.admin(p)) == "slave"
    writer.delete("order:1")


def test_global_secondary_inherits_tls_and_auth(orders: Running) -> None:
    out = orders.outputs["GlobalSecondary"]
    assert out["OrdersAuthToken"] == "local-token-primary-0123456789"
    with pytest.raises(redis.AuthenticationError):
        orders.client("GlobalSecondary", "Orders", password=None).ping()


def test_fn_importvalue_resolved_across_stacks(orders: Running) -> None:
    assert orders.outputs["GlobalPrimary"]["GlobalId"] == "local-orders"
    plan = next(p for p in orders.state.redis if p.logical_id == "SecondaryGroup0001")
    assert plan.global_primary == ("GlobalPrimary", "PrimaryGroup0001")
