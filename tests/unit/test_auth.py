"""Authentication and TransitEncryption: tokens stay in Secrets Manager; token rules."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from elasticache_constructs import Authentication, ReplicationGroup, TransitEncryption, ValidationError
from elasticache_constructs.auth import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    TOKEN_EXCLUDED_CHARACTERS,
    validate_auth_token,
)

from .helpers import new_stack, new_vpc


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    ReplicationGroup(stack, "Gen", vpc=vpc)
    ReplicationGroup(stack, "Punct", vpc=vpc, authentication=Authentication.generated_token(
        length=128, include_punctuation=True))
    plain = secretsmanager.Secret.from_secret_name_v2(stack, "Plain", "cache/token")
    ReplicationGroup(stack, "FromSecret", vpc=vpc, authentication=Authentication.token_from_secret(plain))
    return {"stack": stack, "t": Template.from_stack(stack)}


def test_generated_token_excludes_what_auth_forbids(built: dict[str, Any]) -> None:
    secrets = built["t"].find_resources("AWS::SecretsManager::Secret")
    gen = next(v for k, v in secrets.items() if k.startswith("GenAuthToken"))["Properties"]["GenerateSecretString"]
    assert gen["PasswordLength"] == 64 and gen["IncludeSpace"] is False
    for c in '"/@ ' + "!&#$^<>-":
        assert c in gen["ExcludeCharacters"]
    punct = next(v for k, v in secrets.items() if k.startswith("PunctAuthToken"))["Properties"]
    excl = punct["GenerateSecretString"]["ExcludeCharacters"]
    assert punct["GenerateSecretString"]["PasswordLength"] == 128
    assert not any(c in excl for c in "!&#$^<>-") and all(c in excl for c in '"/@')


def test_tokens_reach_cloudformation_only_as_dynamic_references(built: dict[str, Any]) -> None:
    for res in built["t"].find_resources("AWS::ElastiCache::ReplicationGroup").values():
        token = json.dumps(res["Properties"]["AuthToken"])
        assert "{{resolve:secretsmanager:" in token
    from_secret = next(v for k, v in built["t"].find_resources("AWS::ElastiCache::ReplicationGroup").items()
                       if k.startswith("FromSecret"))
    assert "cache/token" in json.dumps(from_secret["Properties"]["AuthToken"])


def test_transit_encryption_enabled_flag() -> None:
    assert TransitEncryption.REQUIRED.enabled and TransitEncryption.PREFERRED.enabled
    assert not TransitEncryption.DISABLED.enabled


def test_validate_auth_token_accepts_allowed_characters() -> None:
    validate_auth_token("A" * 15 + "!&#$^<>-")
    assert " " in TOKEN_EXCLUDED_CHARACTERS and "@" in TOKEN_EXCLUDED_CHARACTERS


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("a" * (MIN_TOKEN_LENGTH - 1), r"auth_token: got '<15 characters>'; must be 16-128 characters"),
        ("a" * (MAX_TOKEN_LENGTH + 1), r"auth_token: got '<129 characters>'; must be 16-128 characters"),
        ("a" * 16 + "@", r"auth_token: got '<hidden>'; contains '@'; allowed: letters, digits and '!&#\$\^<>-'"),
        ("a" * 16 + '"/', re.escape("""contains '"/'""")),
        ("a" * 16 + " ", r"contains ' '"),
        ("a" * 16 + "é", r"contains 'é'"),
    ],
)
def test_invalid_literal_tokens(token: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_auth_token(token)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Authentication.generated_token(length=15), r"length: got 15; must be from 16 to 128"),
        (lambda: Authentication.generated_token(length=129), r"length: got 129; must be from 16 to 128"),
        (lambda: Authentication.token_from_secret("arn:aws:secretsmanager:us-east-1:1:secret:x"),  # type: ignore[arg-type]
         r"secret: got 'arn:aws:secretsmanager.*'; pass a secretsmanager.ISecret"),
        (lambda: Authentication.user_group("my-group"),  # type: ignore[arg-type]
         r"user_group: got 'my-group'; pass an aws_cdk.aws_elasticache_alpha.UserGroup"),
    ],
)
def test_invalid_authentication(factory: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        factory()
