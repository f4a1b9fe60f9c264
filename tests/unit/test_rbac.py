"""RBAC user groups and IAM authentication: the rules checked when a cache binds a user group, and
``grant_connect`` granting only ``elasticache:Connect`` on the group and its IAM user(s)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.aws_elasticache_alpha import (
    AccessControl,
    IamUser,
    NoPasswordUser,
    PasswordUser,
    UserEngine,
    UserGroup,
)

from elasticache_constructs import (
    Authentication,
    EngineVersion,
    ReplicationGroup,
    ShardedReplicationGroup,
    ValidationError,
)
from tests.unit.helpers import new_stack, new_vpc, template

OFF = AccessControl.from_access_string("off -@all")
ALL = AccessControl.from_access_string("on ~* +@all")


def _password(stack: cdk.Stack, id: str, user_id: str, user_name: str | None = None, **kwargs: Any) -> PasswordUser:
    return PasswordUser(
        stack,
        id,
        user_id=user_id,
        user_name=user_name,
        access_control=kwargs.pop("access", OFF),
        passwords=[cdk.SecretValue.unsafe_plain_text("p" * 20)],
        **kwargs,
    )


def _policy_statements(t: Any) -> list[dict[str, Any]]:
    return [
        s for p in t.find_resources("AWS::IAM::Policy").values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """A Valkey group with an IAM user, a Redis group on Redis OSS 7.1 and on Valkey, grants; synthesized once."""
    stack = new_stack()
    vpc = new_vpc(stack)
    default = _password(stack, "Default", "app-default", "default")
    iam_user = IamUser(stack, "IamUser", user_id="app-iam", access_control=ALL)
    valkey_group = UserGroup(stack, "ValkeyUsers", users=[default, iam_user])
    cache = ReplicationGroup(stack, "Cache", vpc=vpc, authentication=Authentication.user_group(valkey_group))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    cache.grant_connect(role)

    redis_default = NoPasswordUser(
        stack, "RedisDefault", user_id="redis-default", user_name="default", access_control=OFF
    )
    redis_iam = IamUser(stack, "RedisIam", user_id="redis-iam", access_control=ALL, engine=UserEngine.REDIS)
    redis_group = UserGroup(stack, "RedisUsers", engine=UserEngine.REDIS, users=[redis_default, redis_iam])
    on_redis = ShardedReplicationGroup(
        stack,
        "OnRedis",
        vpc=vpc,
        engine_version=EngineVersion.REDIS_7_1,
        authentication=Authentication.user_group(redis_group),
    )
    on_valkey = ReplicationGroup(stack, "OnValkey", vpc=vpc, authentication=Authentication.user_group(redis_group))
    other_role = iam.Role(stack, "OtherRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    on_redis.grant_connect(other_role, user=redis_iam)
    imported = ReplicationGroup.from_replication_group_attributes(
        stack,
        "Imported",
        replication_group_id="existing",
        endpoint_address="existing.example.com",
        engine_version=EngineVersion.VALKEY_8_0,
    )
    imported_role = iam.Role(stack, "ImportedRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    imported.grant_connect(imported_role, user=IamUser.from_user_id(stack, "ExistingUser", "existing-iam"))
    return {"t": template(stack), "stack": stack, "cache": cache, "on_valkey": on_valkey, "role": role}


def _role_statements(t: Any, role_id: str) -> list[dict[str, Any]]:
    policies = t.find_resources("AWS::IAM::Policy")
    found = [
        s
        for p in policies.values()
        if any(r["Ref"].startswith(role_id) for r in p["Properties"]["Roles"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert found, role_id
    return found


def _logical(t: Any, type_: str, prefix: str) -> str:
    return next(k for k in t.find_resources(type_) if k.startswith(prefix))


def _user(t: Any, user_id: str) -> str:
    """Logical id of the ElastiCache user with ``user_id`` (the alpha's logical ids do not follow the path)."""
    found = [k for k, v in t.find_resources("AWS::ElastiCache::User").items() if v["Properties"]["UserId"] == user_id]
    assert len(found) == 1, user_id
    return found[0]


def test_grant_connect_names_only_connect_on_the_group_and_its_iam_user(built: dict[str, Any]) -> None:
    t = built["t"]
    (statement,) = _role_statements(t, "Role")
    assert statement["Action"] == "elasticache:Connect" and statement["Effect"] == "Allow"
    resources = statement["Resource"]
    assert len(resources) == 2
    group_arn, user_arn = resources
    assert (
        "replicationgroup:" in str(group_arn)
        and {"Ref": _logical(t, "AWS::ElastiCache::ReplicationGroup", "Cache")} in group_arn["Fn::Join"][1]
    )
    assert user_arn == {"Fn::GetAtt": [_user(t, "app-iam"), "Arn"]}
    assert _user(t, "app-default") not in str(resources), "the default user is not granted"


def test_grant_connect_for_a_chosen_user_and_an_imported_group(built: dict[str, Any]) -> None:
    t = built["t"]
    (statement,) = _role_statements(t, "OtherRole")
    assert statement["Action"] == "elasticache:Connect"
    assert statement["Resource"][1] == {"Fn::GetAtt": [_user(t, "redis-iam"), "Arn"]}
    (imported,) = _role_statements(t, "ImportedRole")
    assert imported["Action"] == "elasticache:Connect"
    group_arn, user_arn = (
        "".join(p if isinstance(p, str) else "" for p in r["Fn::Join"][1]) for r in imported["Resource"]
    )
    # (the partition is a {"Ref": "AWS::Partition"}, left out of the joined literals)
    assert group_arn == "arn::elasticache:us-east-1:123456789012:replicationgroup:existing"
    assert user_arn == "arn::elasticache:us-east-1:123456789012:user:existing-iam"


def test_every_grant_is_connect_only(built: dict[str, Any]) -> None:
    statements = _policy_statements(built["t"])
    assert len(statements) == 3 and {s["Action"] for s in statements} == {"elasticache:Connect"}


def test_user_groups_are_bound(built: dict[str, Any]) -> None:
    t = built["t"]
    groups = t.find_resources("AWS::ElastiCache::ReplicationGroup")
    on_redis = groups[_logical(t, "AWS::ElastiCache::ReplicationGroup", "OnRedis")]["Properties"]
    on_valkey = groups[_logical(t, "AWS::ElastiCache::ReplicationGroup", "OnValkey")]["Properties"]
    assert on_redis["UserGroupIds"] == on_valkey["UserGroupIds"], "a redis user group serves valkey caches too"
    assert on_redis["Engine"] == "redis" and on_valkey["Engine"] == "valkey"
    assert "AuthToken" not in on_redis and on_redis["TransitEncryptionEnabled"] is True


def test_user_name_tokens_are_left_to_cloudformation() -> None:
    stack = new_stack()
    user = _password(stack, "U", "app", cdk.Fn.import_value("DefaultUserName"))
    Authentication.user_group(UserGroup(stack, "G", users=[user]))  # no error: the name is only known at deploy


def test_imported_user_group_is_accepted_but_grant_needs_a_user() -> None:
    stack = new_stack()
    group = ReplicationGroup(
        stack,
        "Cache",
        vpc=new_vpc(stack),
        authentication=Authentication.user_group(UserGroup.from_user_group_name(stack, "G", "existing-group")),
    )
    with pytest.raises(ValidationError, match=r"users are unknown \(imported group\); pass user="):
        group.grant_connect(iam.AccountRootPrincipal())


def test_alpha_enforces_iam_user_name_equal_to_id() -> None:
    """IAM authentication needs user name == user id; the alpha's IamUser refuses anything else at construction."""
    with pytest.raises(Exception, match="userName must be equal to userId"):
        IamUser(new_stack(), "U", user_id="app-iam", user_name="other", access_control=ALL)


# --- invalid inputs --------------------------------------------------------------------------------------------
def _cache(stack: cdk.Stack, users: list[Any], engine: Any = None, **kwargs: Any) -> ReplicationGroup:
    group = UserGroup(stack, "G", users=users, engine=engine)
    return ReplicationGroup(
        stack, "Cache", vpc=new_vpc(stack), authentication=Authentication.user_group(group), **kwargs
    )


def _no_default() -> Any:
    s = new_stack()
    return Authentication.user_group(UserGroup(s, "G", users=[_password(s, "U", "app")]))


def _redis_cache_valkey_group() -> Any:
    s = new_stack()
    return _cache(s, [_password(s, "D", "d", "default")], engine_version=EngineVersion.REDIS_7_1)


def _valkey_group_no_password_user() -> Any:
    s = new_stack()
    # A NoPasswordUser is a redis-engine user (the alpha refuses engine valkey for it).
    return _cache(
        s, [NoPasswordUser(s, "D", user_id="d", user_name="default", access_control=OFF)], engine=UserEngine.VALKEY
    )


def _redis_group_valkey_user() -> Any:
    s = new_stack()
    return _cache(s, [_password(s, "D", "d", "default", engine=UserEngine.VALKEY)], engine=UserEngine.REDIS)


def _iam_user_on_redis_6() -> Any:
    s = new_stack()
    users = [
        NoPasswordUser(s, "D", user_id="d", user_name="default", access_control=OFF),
        IamUser(s, "I", user_id="iam", access_control=ALL, engine=UserEngine.REDIS),
    ]
    return _cache(s, users, engine=UserEngine.REDIS, engine_version=EngineVersion.REDIS_6_2)


def _grant_without_iam_user() -> Any:
    s = new_stack()
    cache = _cache(s, [_password(s, "D", "d", "default"), _password(s, "A", "app")])
    return cache.grant_connect(iam.AccountRootPrincipal())


def _grant_password_user() -> Any:
    s = new_stack()
    app = _password(s, "A", "app")
    cache = _cache(s, [_password(s, "D", "d", "default"), app])
    return cache.grant_connect(iam.AccountRootPrincipal(), user=app)


def _grant_foreign_user() -> Any:
    s = new_stack()
    cache = _cache(s, [_password(s, "D", "d", "default"), IamUser(s, "I", user_id="iam", access_control=ALL)])
    stranger = IamUser(s, "Stranger", user_id="stranger", access_control=ALL)
    return cache.grant_connect(iam.AccountRootPrincipal(), user=stranger)


def _grant_token_cache() -> Any:
    s = new_stack()
    return ReplicationGroup(s, "Cache", vpc=new_vpc(s)).grant_connect(iam.AccountRootPrincipal())


def _grant_imported_without_user() -> Any:
    s = new_stack()
    imported = ReplicationGroup.from_replication_group_attributes(
        s, "Imp", replication_group_id="existing", endpoint_address="existing.example.com"
    )
    return imported.grant_connect(iam.AccountRootPrincipal())


def _grant_imported_old_engine() -> Any:
    s = new_stack()
    imported = ReplicationGroup.from_replication_group_attributes(
        s,
        "Imp",
        replication_group_id="existing",
        endpoint_address="existing.example.com",
        engine_version=EngineVersion.REDIS_6_2,
    )
    return imported.grant_connect(iam.AccountRootPrincipal(), user=IamUser.from_user_id(s, "U", "iam"))


INVALID: list[tuple[str, Any, str]] = [
    (
        "group without default user",
        _no_default,
        r"user_group: got \['app'\]; an ElastiCache user group must contain a user named 'default'",
    ),
    (
        "redis cache, valkey group",
        _redis_cache_valkey_group,
        r"user_group: got 'engine valkey'; redis 7.1 accepts only user groups with engine redis",
    ),
    (
        "valkey group, no-password user",
        _valkey_group_no_password_user,
        r"user_group: got \"NoPasswordUser 'default'\"; a valkey user group holds only users that authenticate",
    ),
    (
        "redis group, valkey user",
        _redis_group_valkey_user,
        r"user_group: got \"valkey user 'default'\"; a redis user group holds only redis users",
    ),
    (
        "IAM user on redis 6.2",
        _iam_user_on_redis_6,
        r"user_group: got \"IamUser 'iam'\"; redis 6.2 lacks IAM authentication \(valkey 7.2\+, redis 7.0\+\)",
    ),
    (
        "grant without IAM user",
        _grant_without_iam_user,
        r"user_group: got \['app', 'default'\]; grant_connect needs an IamUser in the cache's user group",
    ),
    (
        "grant to a password user",
        _grant_password_user,
        r"user: got 'PasswordUser'; IAM authentication needs an IamUser",
    ),
    (
        "grant to a user outside the group",
        _grant_foreign_user,
        r"user: got 'stranger'; is not a member of this cache's user group",
    ),
    (
        "grant on an AUTH-token cache",
        _grant_token_cache,
        r"grant_connect: this cache has no user group; IAM authentication needs Authentication.user_group",
    ),
    (
        "grant on an imported cache without user",
        _grant_imported_without_user,
        r"grant_connect: this cache has no user group; .*pass user= for an imported cache",
    ),
    (
        "grant on an imported redis 6.2 cache",
        _grant_imported_old_engine,
        r"user: got 'iam'; redis 6.2 lacks IAM authentication",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_rbac(case: str, build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()
