"""RBAC: a user group (default user ``off``, an app user limited to ``app:*`` without dangerous commands, a
read-only user) on a TLS replication group. Real redis-server processes; one ``up`` for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from elasticache_local.acl import ADMIN_USER

from .conftest import Running, requires_servers, running

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP = "Rbac", "Secure", "SecureGroup0007"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("rbac", tmp_path_factory.mktemp("rbac")) as r:
        yield r


def _app_password(env: Running) -> str:
    return env.outputs[STACK][f"{PREFIX}AuthToken"]


def test_every_node_has_exactly_the_group_s_users(env: Running) -> None:
    nodes = env.procs(GROUP, "redis")
    assert len(nodes) == 2
    for p in nodes:
        users = set(env.admin(p).acl_users())
        assert users == {"default", "app", "reader", "app-iam", ADMIN_USER}


def test_default_user_is_disabled(env: Running) -> None:
    with pytest.raises(redis.AuthenticationError):
        env.client(STACK, PREFIX, password=None).ping()  # no AUTH: the default user is off
    default = env.admin(env.procs(GROUP, "redis")[0]).acl_getuser("default")
    assert "off" in default["flags"]


def test_outputs_token_is_the_app_user_s_password_from_the_json_secret(env: Running) -> None:
    """The secret is {"username": "app", "password": <24 chars>}: AuthToken is its password field."""
    assert env.outputs[STACK][f"{PREFIX}AuthSecretArn"].startswith("arn:aws:secretsmanager:")
    token = _app_password(env)
    assert len(token) == 24 and token.isalnum() and not token.startswith("{")
    assert env.client(STACK, PREFIX, username="app", password=token).ping() is True


def test_app_user_can_do_exactly_what_its_access_string_allows(env: Running) -> None:
    app = env.client(STACK, PREFIX, username="app", password=_app_password(env))
    assert app.set("app:greeting", "hello") is True
    assert app.get("app:greeting") == "hello"
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("other:greeting", "hello")  # outside ~app:*
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.flushall()  # -@dangerous
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.execute_command("CONFIG", "GET", "maxmemory")  # -@dangerous
    app.delete("app:greeting")


def test_reader_can_only_read(env: Running) -> None:
    admin = env.admin(env.procs(GROUP, "redis")[0])
    admin.set("anything", "42")
    reader = env.client(STACK, PREFIX, username="reader", password="reader-password-0123456789")
    assert reader.ping() is True
    assert reader.get("anything") == "42"
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.set("anything", "43")
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.delete("anything")
    admin.delete("anything")


@pytest.mark.parametrize(
    ("username", "password"),
    [("app", "wrong-password"), ("reader", "wrong"), ("nobody", "x"), ("default", "anything")],
)
def test_wrong_credentials_rejected(env: Running, username: str, password: str) -> None:
    with pytest.raises(redis.AuthenticationError):
        env.client(STACK, PREFIX, username=username, password=password).ping()


def _local_users(env: Running) -> dict[str, dict[str, object]]:
    users: dict[str, dict[str, object]] = json.loads(env.outputs[STACK][f"{PREFIX}LocalUsers"])
    return users


def test_outputs_list_every_user_with_its_local_credentials(env: Running) -> None:
    """<P>LocalUsers: the secret-held passwords resolved, literal ones as written, IAM users password null."""
    users = _local_users(env)
    assert set(users) == {"default", "app", "reader", "app-iam"}
    assert users["app"] == {"password": _app_password(env), "iam": False}
    assert users["reader"] == {"password": "reader-password-0123456789", "iam": False}
    assert users["app-iam"] == {"password": None, "iam": True}
    default_pw = users["default"]["password"]
    assert isinstance(default_pw, str) and len(default_pw) == 20  # from DefaultSecret (PasswordLength 20)


def test_every_enabled_user_logs_in_with_what_the_outputs_file_gives(env: Running) -> None:
    for name, user in _local_users(env).items():
        if name == "default":
            continue  # "off" in the template: disabled even with its password
        password = user["password"] if isinstance(user["password"], str) else "any-iam-auth-token"
        c = env.client(STACK, PREFIX, username=name, password=password)
        assert c.get("app:probe") is None  # every enabled user may read app:* (AUTH happened on connect)
    with pytest.raises(redis.AuthenticationError):
        env.client(STACK, PREFIX, username="default", password=str(_local_users(env)["default"]["password"])).ping()


def test_iam_user_accepts_any_token_but_keeps_its_access_string(env: Running) -> None:
    iam = env.client(STACK, PREFIX, username="app-iam", password="a-sigv4-token-nobody-can-verify-offline")
    assert iam.set("app:iam", "1") is True
    with pytest.raises(redis.exceptions.NoPermissionError):
        iam.set("other:iam", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        iam.execute_command("CONFIG", "GET", "maxmemory")  # not in +@read +@write
    iam.delete("app:iam")


def test_replica_has_the_same_acl(env: Running) -> None:
    replica = next(p for p in env.procs(GROUP, "redis") if p.role == "replica")
    port = replica.port
    app = env.client(STACK, PREFIX, port=port, username="app", password=_app_password(env))
    with pytest.raises(redis.exceptions.ReadOnlyError):
        app.set("app:x", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.get("other:x")


def test_status_json_lists_the_nodes(env: Running) -> None:
    from elasticache_local import commands

    lines: list[str] = []
    assert commands.status(env.state_dir, log=lines.append, as_json=True) == 0
    assert sorted(r["role"] for r in json.loads("\n".join(lines))) == ["primary", "replica"]
