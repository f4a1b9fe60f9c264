"""Role-based access control (user groups of ``aws_cdk.aws_elasticache_alpha``) and IAM authentication rules.

ElastiCache rules checked here, at construct time (CDK tokens are skipped: only CloudFormation knows them):

- a user group needs a user whose *user name* is ``default`` (CloudFormation ``AWS::ElastiCache::UserGroup``
  ``UserIds``: "A user named default must be included");
- a Redis OSS cache accepts only user groups with engine ``redis``; a Valkey cache accepts ``valkey`` and ``redis``
  groups;
- a ``valkey`` user group holds only users that authenticate (password or IAM): no ``NoPasswordUser``;
- a ``redis`` user group holds only ``redis`` users (the alpha checks this too, but only at synthesis);
- IAM authentication needs an engine with IAM auth (Valkey 7.2+, Redis OSS 7.0+), in-transit encryption, and an
  ``IamUser`` whose user name equals its user id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_elasticache_alpha as alpha
from constructs import Construct

from ._validation import ValidationError, fail, is_unresolved
from .engine import Engine, EngineVersion

#: The user name every user group must contain.
DEFAULT_USER_NAME = "default"


def _engine_type(obj: Any) -> str | None:
    """``"valkey"``/``"redis"`` for a user or user group whose engine is known, else ``None``."""
    engine = getattr(obj, "engine", None)
    value = getattr(engine, "engine_type", None) if engine is not None else None
    return value if isinstance(value, str) and not is_unresolved(value) else None


def _user_name(user: Any) -> str | None:
    """The user's literal name (``None`` when unknown or a token)."""
    name = getattr(user, "user_name", None)
    return name if isinstance(name, str) and not is_unresolved(name) else None


def known_users(user_group: Any) -> list[Any] | None:
    """The users of ``user_group`` when CDK knows them (``None`` for an imported group)."""
    users = getattr(user_group, "users", None)
    return list(users) if users is not None else None


def is_iam_user(user: Any) -> bool:
    """True for an ``aws_elasticache_alpha.IamUser``."""
    return bool(alpha.IamUser.is_iam_user(user))


def _is_no_password_user(user: Any) -> bool:
    return bool(alpha.NoPasswordUser.is_no_password_user(user))


def validate_default_user(user_group: Any, prop: str = "user_group") -> None:
    """The group's users include one named ``default`` (skipped when a name is a token or the users unknown)."""
    users = known_users(user_group)
    if users is None:
        return
    names = [_user_name(u) for u in users]
    if DEFAULT_USER_NAME in names or any(n is None for n in names):
        return
    raise fail(
        prop,
        sorted(n for n in names if n is not None),
        f"an ElastiCache user group must contain a user named {DEFAULT_USER_NAME!r} (e.g. a disabled "
        f"PasswordUser/NoPasswordUser with user_name={DEFAULT_USER_NAME!r} and access string 'off -@all')",
    )


def validate_user_group(user_group: Any, engine_version: EngineVersion, transit_encryption_enabled: bool) -> None:
    """Every rule above for ``user_group`` bound to a cache running ``engine_version``."""
    validate_default_user(user_group)
    group_engine = _engine_type(user_group)
    if engine_version.engine is Engine.REDIS and group_engine == "valkey":
        raise fail(
            "user_group",
            "engine valkey",
            f"{engine_version} accepts only user groups with engine redis (UserEngine.REDIS); "
            "valkey caches accept both",
        )
    users = known_users(user_group) or []
    for user in users:
        label = _user_name(user) or getattr(user, "user_id", "?")
        if group_engine == "valkey" and _is_no_password_user(user):
            raise fail(
                "user_group",
                f"NoPasswordUser {label!r}",
                "a valkey user group holds only users that authenticate (PasswordUser or IamUser)",
            )
        if group_engine == "redis" and _engine_type(user) not in (None, "redis"):
            raise fail(
                "user_group", f"{_engine_type(user)} user {label!r}", "a redis user group holds only redis users"
            )
        if is_iam_user(user):
            validate_iam_user(user, engine_version, transit_encryption_enabled)


def validate_iam_user(user: Any, engine_version: EngineVersion | None, transit_encryption_enabled: bool) -> None:
    """IAM authentication: engine support, TLS, user name equal to user id."""
    user_id = getattr(user, "user_id", None)
    name = _user_name(user)
    if engine_version is not None and not engine_version.supports_iam_auth:
        raise fail(
            "user_group", f"IamUser {user_id!r}", f"{engine_version} lacks IAM authentication (valkey 7.2+, redis 7.0+)"
        )
    if not transit_encryption_enabled:
        raise fail("transit_encryption", "DISABLED", "IAM authentication requires in-transit encryption (TLS)")
    if name is not None and isinstance(user_id, str) and not is_unresolved(user_id) and name != user_id:
        raise fail("user_name", name, f"an IAM-authenticated user's name must equal its user id ({user_id!r})")


def user_arn(scope: Construct, user: Any) -> str:
    """ARN of an ElastiCache user: ``Fn::GetAtt Arn`` of a user defined in the app; for an imported user,
    ``arn:<partition>:elasticache:<region>:<account>:user:<user id>`` in ``scope``'s stack (the alpha's
    ``from_user_id`` builds ``user/<id>``, which IAM would not match)."""
    if is_iam_user(user) or _known_class(user):
        return str(user.user_arn)
    return Stack.of(scope).format_arn(
        service="elasticache", resource="user", resource_name=user.user_id, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def connect_users(
    user_group: Any,
    user: Any | None,
    engine_version: EngineVersion | None,
    transit_encryption_enabled: bool,
) -> list[Any]:
    """The users an ``elasticache:Connect`` grant names: ``user`` (an ``IamUser`` of the group), or every
    ``IamUser`` of the group. IAM authentication without an IAM user cannot work, so that is an error."""
    users = known_users(user_group) if user_group is not None else None
    if user is not None:
        if not implements_user(user):
            raise fail("user", user, "pass an aws_cdk.aws_elasticache_alpha IamUser (IUser)")
        if _known_class(user):
            raise fail("user", type(user).__name__, "IAM authentication needs an IamUser")
        if users is not None and not any(u is user or _same_user(u, user) for u in users):
            raise fail("user", getattr(user, "user_id", user), "is not a member of this cache's user group")
        if is_iam_user(user):
            validate_iam_user(user, engine_version, transit_encryption_enabled)
        elif engine_version is not None and not engine_version.supports_iam_auth:
            raise fail("user", getattr(user, "user_id", user), f"{engine_version} lacks IAM authentication")
        return [user]
    if user_group is None:
        raise ValidationError(
            "grant_connect: this cache has no user group; IAM authentication needs "
            "Authentication.user_group(...) with an IamUser (or pass user= for an imported cache)"
        )
    if users is None:
        raise ValidationError("grant_connect: the user group's users are unknown (imported group); pass user=")
    iam_users = [u for u in users if is_iam_user(u)]
    if not iam_users:
        raise fail(
            "user_group",
            sorted(_user_name(u) or str(getattr(u, "user_id", "?")) for u in users),
            "grant_connect needs an IamUser in the cache's user group (IAM authentication)",
        )
    for u in iam_users:
        validate_iam_user(u, engine_version, transit_encryption_enabled)
    return iam_users


def implements_user(user: Any) -> bool:
    """True when ``user`` looks like an alpha ``IUser`` (has a user id)."""
    return getattr(user, "user_id", None) is not None


def _known_class(user: Any) -> bool:
    return bool(alpha.PasswordUser.is_password_user(user) or alpha.NoPasswordUser.is_no_password_user(user))


def _same_user(a: Any, b: Any) -> bool:
    ida, idb = getattr(a, "user_id", None), getattr(b, "user_id", None)
    return ida is not None and ida == idb and not is_unresolved(ida)


def connect_resource_arns(scope: Construct, group_arn: str, users: Sequence[Any]) -> list[str]:
    """The group's ARN followed by each user's ARN."""
    return [group_arn, *(user_arn(scope, u) for u in users)]


__all__ = [
    "DEFAULT_USER_NAME",
    "connect_resource_arns",
    "connect_users",
    "is_iam_user",
    "validate_default_user",
    "validate_iam_user",
    "validate_user_group",
]
