"""``connect()`` against every cache of the locally emulated app, from the emulator's ``local-outputs.json``.

One ``up`` (the emulator's real command, started with the emulator tests' own ``running`` fixture helper) of the
template mirrors of the app's stacks: the session store (replication group + Sentinel), the leaderboard (cluster
mode, 3 shards), the serverless catalog, the Memcached page cache, and the access-control example (RBAC users).
Real servers, TLS verified against the emulator's CA; always ``down`` afterwards.
"""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster

from elasticache_connect import ClientOptions, ConnectError, client_for, connect, resolve_target
from tests.emulator.conftest import TEMPLATES, Running, engine, requires_servers, running

pytestmark = [pytest.mark.live, requires_servers]
SETS = ("sentinel", "cluster3", "serverless", "memcached", "rbac")


def _combined_assembly(root: Path) -> Path:
    """One cloud assembly holding every template set (the app's stacks side by side)."""
    out = root / "app-assembly"
    out.mkdir()
    artifacts: dict[str, Any] = {}
    for name in SETS:
        manifest = json.loads((TEMPLATES / name / "manifest.json").read_text())
        for art_id, art in manifest["artifacts"].items():
            if art.get("type") == "aws:cloudformation:stack":
                shutil.copy(TEMPLATES / name / art["properties"]["templateFile"], out)
                artifacts[art_id] = art
    (out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return out


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("connect-app")
    assembly = _combined_assembly(tmp)
    # running() takes a template-set name under TEMPLATES; an absolute path works the same (Path / abs = abs).
    with running(str(assembly), tmp) as env:
        yield env


def _caches(app: Running) -> list[tuple[str, str]]:
    from elasticache_connect.outputs import cache_prefixes

    return [(stack, prefix) for stack, values in app.outputs.items() for prefix in cache_prefixes(values)]


def test_the_emulated_app_has_every_kind_of_cache(app: Running) -> None:
    kinds = {(v[f"{p}Engine"], v[f"{p}ResourceType"], v[f"{p}ClusterMode"]) for s, p in _caches(app)
             for v in [app.outputs[s]]}
    assert {("memcached", "CacheCluster", "false"), (engine("valkey"), "ServerlessCache", "true")} <= kinds
    assert any(k[1:] == ("ReplicationGroup", "true") for k in kinds)
    assert any(k[1:] == ("ReplicationGroup", "false") for k in kinds)


def test_connect_to_every_cache_set_get_and_the_client_type_matches_cluster_mode(app: Running) -> None:
    seen = []
    for stack, prefix in _caches(app):
        values = app.outputs[stack]
        user = "app" if prefix == "Secure" else None  # the RBAC example disables the default user
        client = connect(outputs_file=app.outputs_file, stack=stack, cache=prefix, user=user)
        try:
            key = f"app:connect:{prefix}"
            if values[f"{prefix}Engine"] == "memcached":
                assert client.set(key, b"v") is True and client.get(key) == b"v"
                client.delete(key)
                seen.append((prefix, "memcached"))
                continue
            expected = RedisCluster if values[f"{prefix}ClusterMode"] == "true" else redis.Redis
            assert isinstance(client, expected), prefix
            assert client.set(key, "v") is True and client.get(key) == "v"
            client.delete(key)
            seen.append((prefix, type(client).__name__))
        finally:
            client.close()
    assert len(seen) == len(_caches(app)) >= 5


def test_tls_is_verified_with_the_emulator_s_ca(app: Running, tmp_path: Path) -> None:
    """The outputs' CA verifies the servers; another CA (the system store alone) is refused."""
    from elasticache_local import tlsgen

    stack, prefix = next((s, p) for s, p in _caches(app) if p == "Sessions")
    target = resolve_target(outputs_file=app.outputs_file, stack=stack, cache=prefix)
    assert target.tls and target.ca_file
    good = client_for(target)
    assert good.ping() is True
    good.close()
    other = tlsgen.generate(tmp_path / "other")
    bad = client_for(target.replace(ca_file=str(other.ca_cert)), ClientOptions(retries=0))
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        bad.ping()
    bad.close()


def test_acl_users_of_the_access_control_example_log_in(app: Running) -> None:
    stack = next(s for s, p in _caches(app) if p == "Secure")
    app_user = connect(outputs_file=app.outputs_file, stack=stack, cache="Secure", user="app")
    assert app_user.acl_whoami() == "app"
    assert app_user.set("app:x", "1") is True
    with pytest.raises(redis.exceptions.NoPermissionError):
        app_user.set("other:x", "1")
    app_user.close()
    anonymous = connect(outputs_file=app.outputs_file, stack=stack, cache="Secure", password="wrong-password-0000",
                        options=ClientOptions(retries=0))
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    anonymous.close()


def test_every_user_of_local_users_logs_in_by_name(app: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """``<P>LocalUsers`` (emulator): password users by name; the IAM user with a signed token (nopass locally)."""
    stack = next(s for s, p in _caches(app) if p == "Secure")
    users = json.loads(app.outputs[stack]["SecureLocalUsers"])
    assert {"app", "reader", "app-iam"} <= set(users)
    for name, info in users.items():
        if info.get("iam") or name == "default":  # the example disables the default user
            continue
        client = connect(outputs_file=app.outputs_file, stack=stack, cache="Secure", user=name)
        assert client.ping() is True  # the default user is off: only a valid login as ``name`` answers
        client.close()
    iam_user = next(n for n, i in users.items() if i.get("iam"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    iam = connect(outputs_file=app.outputs_file, stack=stack, cache="Secure", user=iam_user, iam=True,
                  region="eu-west-1")
    assert iam.set("app:iam", "1") is True and iam.get("app:iam") == "1"  # access string: ~app:* +@read +@write
    iam.delete("app:iam")
    assert iam.connection_pool.get_connection().credential_provider is not None  # a signed token, not a password
    iam.close()


def test_read_from_replicas_reads_a_replica_or_the_reader_endpoint(app: Running) -> None:
    sessions = connect(outputs_file=app.outputs_file, stack="Sessions", read_from="replicas")
    assert sessions.execute_command("ROLE")[0] in ("slave", "replica")
    sessions.close()
    board_stack = next(s for s, p in _caches(app) if p == "Board")
    writer = connect(outputs_file=app.outputs_file, stack=board_stack)
    reader = connect(outputs_file=app.outputs_file, stack=board_stack, read_from="replicas")
    writer.set("{r}k", "v")
    writer.execute_command("WAIT", 1, 1000, target_nodes=writer.get_node_from_key("{r}k"))
    assert reader.get("{r}k") == "v"
    from elasticache_smoke.testing import wait_for

    def replica_known() -> bool:  # replicas join CLUSTER SLOTS once their offset is gossiped
        reader.nodes_manager.initialize()
        return reader.get_node_from_key("{r}k", replica=True) is not None

    wait_for(replica_known, timeout=10, what="the shard's replica in CLUSTER SLOTS")
    node = reader.get_node_from_key("{r}k", replica=True)
    primary = writer.get_node_from_key("{r}k")
    assert node.port != primary.port
    assert reader.get("{r}k") == "v"
    writer.delete("{r}k")
    writer.close()
    reader.close()


def test_memcached_auto_discovery_finds_every_node_and_a_plain_node_falls_back(app: Running) -> None:
    from elasticache_connect import discover_nodes

    stack = next(s for s, p in _caches(app) if p == "Pages")
    target = resolve_target(outputs_file=app.outputs_file, stack=stack)
    context = ssl.create_default_context(cafile=target.ca_file) if target.tls else None
    # The emulated configuration endpoint answers `config get cluster` with every node (the template has 2).
    nodes = discover_nodes(target.host, target.port, tls_context=context)
    assert nodes is not None and len(set(nodes)) == 2
    # A node itself is plain memcached: it answers ERROR, so discovery says None and the client uses listed nodes.
    host, port = nodes[0]
    assert discover_nodes(host, port, tls_context=context) is None


def test_a_wrong_password_is_an_auth_error_that_does_not_show_it(app: Running) -> None:
    from elasticache_connect.probe import connect_redis

    target = resolve_target(outputs_file=app.outputs_file, stack="Sessions", password="Wr0ng-Passw0rd-Sentinel-1")
    with pytest.raises(ConnectError) as info:
        connect_redis(target)
    assert info.value.stage == "AUTH" and "Wr0ng-Passw0rd" not in str(info.value)
