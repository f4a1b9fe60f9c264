"""How clients authenticate and whether traffic is encrypted in transit."""

from __future__ import annotations

import enum
import string
from dataclasses import dataclass

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.aws_elasticache_alpha import IUserGroup
from constructs import Construct

from ._validation import check_range, fail, implements
from .engine import EngineVersion
from .rbac import validate_default_user, validate_user_group

#: AUTH token length limits (CreateReplicationGroup ``AuthToken``).
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 128
#: The only punctuation an AUTH token may contain.
TOKEN_ALLOWED_PUNCTUATION = "!&#$^<>-"
#: Punctuation a generated token must leave out.
TOKEN_EXCLUDED_CHARACTERS = "".join(c for c in string.punctuation if c not in TOKEN_ALLOWED_PUNCTUATION) + " "


class TransitEncryption(enum.Enum):
    """In-transit encryption (TLS) of client connections."""

    #: TLS only (default). Plain-text connections are refused.
    REQUIRED = "required"
    #: TLS and plain text both accepted: a step while migrating existing clients to TLS (Valkey, Redis 7.0.5+).
    PREFERRED = "preferred"
    #: No TLS. Not allowed with an AUTH token or user group.
    DISABLED = "disabled"

    @property
    def enabled(self) -> bool:
        """True when the server speaks TLS (REQUIRED or PREFERRED)."""
        return self is not TransitEncryption.DISABLED


def validate_auth_token(token: str, prop: str = "auth_token") -> None:
    """Reject a literal AUTH token that ElastiCache would refuse (length, characters)."""
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise fail(prop, f"<{len(token)} characters>", f"must be {MIN_TOKEN_LENGTH}-{MAX_TOKEN_LENGTH} characters")
    bad = sorted({c for c in token if not c.isascii() or not c.isprintable() or c in TOKEN_EXCLUDED_CHARACTERS})
    if bad:
        raise fail(
            prop,
            "<hidden>",
            f"contains {''.join(bad)!r}; allowed: letters, digits and {TOKEN_ALLOWED_PUNCTUATION!r}",
        )


@dataclass(frozen=True)
class AuthBinding:
    """What an ``Authentication`` contributes to a cache once bound."""

    #: Value for the ``AuthToken`` property: a Secrets Manager dynamic reference, never plain text.
    auth_token: str | None
    #: Value for ``UserGroupIds``.
    user_group_ids: list[str] | None
    #: The secret that holds the AUTH token, if any.
    secret: secretsmanager.ISecret | None
    user_group: IUserGroup | None


class Authentication:
    """How clients authenticate to a Valkey/Redis OSS cache.

    Use ``generated_token()`` (the default), ``token_from_secret(secret)``, ``user_group(group)`` (RBAC, the
    ``aws_cdk.aws_elasticache_alpha`` users) or ``none()``.
    """

    def __init__(
        self,
        kind: str,
        *,
        secret: secretsmanager.ISecret | None = None,
        json_field: str | None = None,
        user_group: IUserGroup | None = None,
        length: int = 64,
        include_punctuation: bool = False,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        self.kind = kind
        self._secret = secret
        self._json_field = json_field
        self._user_group = user_group
        self._length = length
        self._include_punctuation = include_punctuation
        self._encryption_key = encryption_key

    @staticmethod
    def generated_token(
        *, length: int = 64, include_punctuation: bool = False, encryption_key: kms.IKey | None = None
    ) -> Authentication:
        """An AUTH token generated in Secrets Manager (the default).

        The template receives only a dynamic reference (``{{resolve:secretsmanager:...}}``).

        :param length: token length, 16-128. Default: 64.
        :param include_punctuation: also use the punctuation AUTH allows (``!&#$^<>-``). Default: letters/digits.
        :param encryption_key: KMS key for the secret. Default: the AWS managed key.
        """
        check_range("length", length, MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH)
        return Authentication(
            "generated", length=length, include_punctuation=include_punctuation, encryption_key=encryption_key
        )

    @staticmethod
    def token_from_secret(secret: secretsmanager.ISecret, *, json_field: str | None = None) -> Authentication:
        """The AUTH token stored in an existing secret.

        :param secret: the secret.
        :param json_field: field of a JSON secret holding the token. Default: the whole secret string.
        """
        if not implements(secret, secretsmanager.ISecret):
            raise fail("secret", secret, "pass a secretsmanager.ISecret (e.g. Secret.from_secret_name_v2(...))")
        return Authentication("secret", secret=secret, json_field=json_field)

    @staticmethod
    def user_group(user_group: IUserGroup) -> Authentication:
        """Role-based access control with a user group of the official alpha module.

        The group must contain a user named ``default`` (ElastiCache requires one for Valkey/Redis OSS).
        """
        if not implements(user_group, IUserGroup):
            raise fail("user_group", user_group, "pass an aws_cdk.aws_elasticache_alpha.UserGroup (IUserGroup)")
        validate_default_user(user_group)
        return Authentication("user_group", user_group=user_group)

    @staticmethod
    def none() -> Authentication:
        """No authentication: anyone who can reach the port can use the cache. An explicit opt-out."""
        return Authentication("none")

    def validate(self, engine_version: EngineVersion, transit_encryption_enabled: bool) -> None:
        """Rules that depend on the cache's engine (user groups: see ``rbac.validate_user_group``)."""
        if self.kind == "user_group":
            validate_user_group(self._user_group, engine_version, transit_encryption_enabled)

    @property
    def uses_token(self) -> bool:
        """True for a password (AUTH token) scheme."""
        return self.kind in ("generated", "secret")

    def bind(self, scope: Construct) -> AuthBinding:
        """Create what this scheme needs below ``scope`` and return the cache properties it sets."""
        if self.kind == "generated":
            excluded = TOKEN_EXCLUDED_CHARACTERS
            if not self._include_punctuation:
                excluded += TOKEN_ALLOWED_PUNCTUATION
            secret = secretsmanager.Secret(
                scope,
                "AuthToken",
                description=f"AUTH token of {scope.node.path}",
                encryption_key=self._encryption_key,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=self._length,
                    exclude_characters=excluded,
                    include_space=False,
                    require_each_included_type=False,
                ),
            )
            return AuthBinding(secret.secret_value.unsafe_unwrap(), None, secret, None)
        if self.kind == "secret":
            assert self._secret is not None
            value = (
                self._secret.secret_value_from_json(self._json_field)
                if self._json_field
                else self._secret.secret_value
            )
            return AuthBinding(value.unsafe_unwrap(), None, self._secret, None)
        if self.kind == "user_group":
            assert self._user_group is not None
            return AuthBinding(None, [self._user_group.user_group_name], None, self._user_group)
        return AuthBinding(None, None, None, None)
