"""Reconciling ``up``: engine upgrades as rolling restarts (Redis OSS -> Valkey), in-transit encryption mode
migration and AUTH token changes. Every step checks every key (value and TTL) through the application's client."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import redis

from elasticache_local import commands
from elasticache_local import state as st
from elasticache_local.clients import node_client
from elasticache_local.errors import EmulatorError

from .conftest import requires_servers
from .reconcile_support import app_client, assert_same_data, deployed, load, opts, outputs, props, snapshot, variant

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP = "Leaderboard", "Board", "BoardGroup55EE66FF"
S_STACK, S_PREFIX, S_GROUP = "Sessions", "Sessions", "SessionsReplicationGroup9C8D7E6F"
KEYS = 800
NODE_TYPE = "cache.r7g.xlarge"
TOKEN_A, TOKEN_B = "token-a-0123456789abcdef", "token-b-0123456789abcdef"


def _up(assembly: Path, tmp: Path) -> list[str]:
    lines: list[str] = []
    commands.up(opts(assembly, tmp), log=lines.append)
    return lines


def _state(tmp: Path) -> st.State:
    state = st.load((tmp / "state").resolve())
    assert state is not None
    return state


def _servers(tmp: Path) -> list[tuple[str, str, str]]:
    """(server_name, version, role) of every node, from each node's own INFO."""
    state = _state(tmp)
    found = []
    for p in state.procs:
        if p.kind == "redis":
            c = node_client(p, state.admin_password, state.ca_file)
            try:
                server, repl = c.info("server"), c.info("replication")
            finally:
                c.close()
            name = str(server.get("server_name", "redis"))
            found.append((name, str(server.get(f"{name}_version")), str(repl["role"])))
    return found


def _family_params(t: dict[str, Any], stack: str, group: str, engine: str, version: str) -> None:
    """A custom parameter group of the family of ``engine``/``version`` (a copy of the group's, under a new logical
    id, as a CDK app defines one), used by the group: ElastiCache upgrades need a compatible one."""
    p = props(t, stack, group)
    old = p["CacheParameterGroupName"]["Ref"]
    family = f"{engine}{version.split('.')[0]}"
    res = json.loads(json.dumps(t[stack]["Resources"][old]))
    res["Properties"]["CacheParameterGroupFamily"] = family
    t[stack]["Resources"][f"Params{family}"] = res
    p["CacheParameterGroupName"] = {"Ref": f"Params{family}"}


def _cluster(engine: str, version: str, token: str, strategy: str | None = None, *, tls: str | None = "required",
             family: bool = True) -> Any:
    """cluster3 (3 shards x 1 replica) with ``engine``/``version`` (and a parameter group of its family), a literal
    AUTH token (or none) and TLS mode."""
    def change(t: dict[str, Any]) -> None:
        p = props(t, STACK, GROUP)
        p.update(Engine=engine, EngineVersion=version, CacheNodeType=NODE_TYPE)
        if family and engine != "redis":
            _family_params(t, STACK, GROUP, engine, version)
        t[STACK]["Outputs"].pop("BoardAuthSecretArn", None)
        p.pop("AuthToken", None)
        if token:
            p["AuthToken"] = token
        if strategy:
            p["AuthTokenUpdateStrategy"] = strategy
        p.pop("TransitEncryptionMode", None)
        p["TransitEncryptionEnabled"] = tls is not None
        if tls is not None:
            p["TransitEncryptionMode"] = tls
        t[STACK]["Outputs"]["BoardTls"]["Value"] = "true" if tls is not None else "false"
    return change


def _works(tmp: Path, password: str) -> bool:
    c = app_client(tmp, STACK, PREFIX, cluster=False)  # one node (the configuration endpoint's), one password
    c.connection_pool.connection_kwargs["password"] = password
    try:
        return bool(c.ping())
    except redis.AuthenticationError:
        return False
    finally:
        c.close()


def test_cluster_redis_to_valkey_rolling_with_auth_rotate_and_set(tmp_path: Path) -> None:
    redis_a = variant(tmp_path, "cluster3", "redis-a", _cluster("redis", "7.1", TOKEN_A), as_written=True)
    redis_b = variant(tmp_path, "cluster3", "redis-b", _cluster("redis", "7.1", TOKEN_B), as_written=True)
    valkey_b = variant(tmp_path, "cluster3", "valkey-b", _cluster("valkey", "8.0", TOKEN_B), as_written=True)
    valkey_set = variant(tmp_path, "cluster3", "valkey-set", _cluster("valkey", "8.0", TOKEN_B, "SET"), as_written=True)
    valkey_redis_params = variant(tmp_path, "cluster3", "valkey-redis7", _cluster("valkey", "8.0", TOKEN_B,
                                                                              family=False), as_written=True)
    valkey_72 = variant(tmp_path, "cluster3", "valkey-72", _cluster("valkey", "7.2", TOKEN_B), as_written=True)
    with deployed(redis_a, tmp_path):
        assert {s[0] for s in _servers(tmp_path)} == {"redis"}
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, KEYS)
        before = snapshot(c)
        c.close()
        # AUTH token change, ROTATE (the default): the new token works, the old one keeps working.
        lines = _up(redis_b, tmp_path)
        assert any("ROTATE" in line for line in lines), lines
        assert _works(tmp_path, TOKEN_A) and _works(tmp_path, TOKEN_B)
        # A custom parameter group must match the new engine (family valkey8): refused, nothing changed.
        with pytest.raises(EmulatorError, match=r"CacheParameterGroupName of family redis7.*valkey8.*nothing"):
            _up(valkey_redis_params, tmp_path)
        assert {s[0] for s in _servers(tmp_path)} == {"redis"}
        # Redis OSS 7.1 -> Valkey 8.0: a rolling restart onto valkey-server, every node with its data.
        lines = _up(valkey_b, tmp_path)
        assert any("EngineVersion: 7.1 -> 8.0 (rolling)" in line for line in lines), lines
        servers = _servers(tmp_path)
        assert {s[0] for s in servers} == {"valkey"} and all(s[1].startswith("8.") for s in servers), servers
        assert sorted(s[2] for s in servers) == ["master"] * 3 + ["slave"] * 3
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()
        assert _works(tmp_path, TOKEN_A) and _works(tmp_path, TOKEN_B), "the rotated token survives the restart"
        # Valkey -> Redis OSS is a downgrade: refused before anything changes.
        with pytest.raises(EmulatorError, match=r"Engine valkey -> redis.*nothing was changed"):
            _up(redis_b, tmp_path)
        with pytest.raises(EmulatorError, match=r"EngineVersion 8.0 -> 7.2: ElastiCache does not downgrade"):
            _up(valkey_72, tmp_path)
        assert {s[0] for s in _servers(tmp_path)} == {"valkey"}
        # SET (allowed after ROTATE): only the new token works.
        lines = _up(valkey_set, tmp_path)
        assert any("only the new token" in line for line in lines), lines
        assert _works(tmp_path, TOKEN_B) and not _works(tmp_path, TOKEN_A)
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()


def _no_replicas(engine: str, version: str) -> Any:
    def change(t: dict[str, Any]) -> None:
        _cluster(engine, version, TOKEN_A)(t)
        p = props(t, STACK, GROUP)
        p.pop("NodeGroupConfiguration", None)
        p.update(NumNodeGroups=2, ReplicasPerNodeGroup=0)
    return change


def test_cluster_without_replicas_restarts_each_primary_in_place_from_its_rdb(tmp_path: Path) -> None:
    old = variant(tmp_path, "cluster3", "redis", _no_replicas("redis", "7.1"), as_written=True)
    new = variant(tmp_path, "cluster3", "valkey", _no_replicas("valkey", "8.0"), as_written=True)
    with deployed(old, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, KEYS)
        before = snapshot(c)
        c.close()
        lines = _up(new, tmp_path)
        assert sum("no replica" in line for line in lines) == 2, lines
        assert [(s[0], s[2]) for s in _servers(tmp_path)] == [("valkey", "master")] * 2
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()


def _sessions(engine: str, version: str, tls: str = "required") -> Any:
    def change(t: dict[str, Any]) -> None:
        props(t, S_STACK, S_GROUP).update(Engine=engine, EngineVersion=version, TransitEncryptionMode=tls)
        if engine != "redis":
            _family_params(t, S_STACK, S_GROUP, engine, version)
    return change


def test_sentinel_group_tls_preferred_and_back_then_redis_to_valkey_with_a_failover(tmp_path: Path) -> None:
    old = variant(tmp_path, "sentinel", "redis", _sessions("redis", "7.1"), as_written=True)
    preferred = variant(tmp_path, "sentinel", "redis-preferred", _sessions("redis", "7.1", "preferred"), as_written=True)
    new = variant(tmp_path, "sentinel", "valkey", _sessions("valkey", "8.0"), as_written=True)
    with deployed(old, tmp_path):
        c = app_client(tmp_path, S_STACK, S_PREFIX, cluster=False)
        load(c, KEYS)
        before = snapshot(c)
        c.close()
        assert not _plain_works(tmp_path, S_STACK, S_PREFIX)
        # required -> preferred: the primary endpoint (the Sentinel-following proxy) takes plain and TLS clients.
        _up(preferred, tmp_path)
        assert _plain_works(tmp_path, S_STACK, S_PREFIX)
        c = app_client(tmp_path, S_STACK, S_PREFIX, cluster=False)
        assert_same_data(before, snapshot(c))
        c.close()
        # preferred -> required: plain text refused again; the Sentinels still fail over (the upgrade below).
        _up(old, tmp_path)
        assert not _plain_works(tmp_path, S_STACK, S_PREFIX)
        # Redis OSS 7.1 -> Valkey 8.0: replicas, a Sentinel failover, the old primary as a replica, Sentinels.
        lines = _up(new, tmp_path)
        assert any("Sentinel failover" in line for line in lines), lines
        servers = _servers(tmp_path)
        assert {s[0] for s in servers} == {"valkey"}, servers
        assert sorted(s[2] for s in servers) == ["master", "slave", "slave"]
        state = _state(tmp_path)
        assert all("valkey" in p.argv[0] for p in state.procs if p.kind in ("redis", "sentinel")), \
            [p.argv for p in state.procs]
        c = app_client(tmp_path, S_STACK, S_PREFIX, cluster=False)  # the primary endpoint follows the failover
        assert_same_data(before, snapshot(c))
        c.set("after-upgrade", "1")
        c.close()


def _speaks_plain(port: int) -> bool:
    """True when a plain-text client gets a RESP reply on ``port`` (``-NOAUTH`` counts: the transport works)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        try:
            return sock.recv(64)[:1] in (b"+", b"-")
        except (TimeoutError, ConnectionError):
            return False


def _plain_works(tmp: Path, stack: str = STACK, prefix: str = PREFIX) -> bool:
    """Plain text accepted on the outputs file's endpoint port."""
    return _speaks_plain(int(outputs(tmp, stack)[f"{prefix}EndpointPort"]))


def _tls_client(tmp: Path) -> redis.RedisCluster:
    out = outputs(tmp, STACK)
    return redis.RedisCluster(host=out[f"{PREFIX}EndpointAddress"], port=int(out[f"{PREFIX}EndpointPort"]),
                              ssl=True, ssl_ca_certs=out[f"{PREFIX}CaFile"], decode_responses=True, socket_timeout=10)


def test_tls_mode_disabled_preferred_required_and_a_refused_one_step(tmp_path: Path) -> None:
    off = variant(tmp_path, "cluster3", "off", _cluster("redis", "7.1", "", tls=None), as_written=True)
    preferred = variant(tmp_path, "cluster3", "preferred", _cluster("redis", "7.1", "", tls="preferred"), as_written=True)
    required = variant(tmp_path, "cluster3", "required", _cluster("redis", "7.1", "", tls="required"), as_written=True)
    with deployed(off, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, KEYS)
        before = snapshot(c)
        c.close()
        # disabled -> required in one step: refused, nothing changed.
        with pytest.raises(EmulatorError, match=r"TransitEncryptionMode disabled -> required.*preferred"):
            _up(required, tmp_path)
        assert _plain_works(tmp_path)
        # disabled -> preferred: plain and TLS clients on the same (outputs) port.
        _up(preferred, tmp_path)
        assert outputs(tmp_path, STACK)[f"{PREFIX}Tls"] == "true"
        assert _plain_works(tmp_path)
        plain = redis.RedisCluster(host="127.0.0.1", port=int(outputs(tmp_path, STACK)[f"{PREFIX}EndpointPort"]),
                                   decode_responses=True, socket_timeout=10)
        assert_same_data(before, snapshot(plain))
        plain.close()
        tls = _tls_client(tmp_path)
        assert_same_data(before, snapshot(tls))
        tls.close()
        # preferred -> required: TLS only, data kept.
        _up(required, tmp_path)
        assert not _plain_works(tmp_path)
        tls = _tls_client(tmp_path)
        assert_same_data(before, snapshot(tls))
        tls.set("after-required", "1")
        tls.close()
        # and back: required -> preferred -> disabled.
        _up(preferred, tmp_path)
        assert _plain_works(tmp_path)
        _up(off, tmp_path)
        assert _plain_works(tmp_path)
        plain = redis.RedisCluster(host="127.0.0.1", port=int(outputs(tmp_path, STACK)[f"{PREFIX}EndpointPort"]),
                                   decode_responses=True, socket_timeout=10)
        after = snapshot(plain)
        assert after.pop("after-required")[1] == "1"
        assert_same_data(before, after)
        plain.close()
        state = _state(tmp_path)
        assert not [p for p in state.procs if p.kind == "front"], "the group's front process was stopped"
