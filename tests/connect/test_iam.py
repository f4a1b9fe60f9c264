"""IAM tokens: equal to botocore's SigV4 query signer used directly (an independent path), refreshed before
expiry on a fake clock, credentials from moto's STS. No network: signing is local."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from elasticache_connect import TOKEN_LIFETIME_SECONDS, ElastiCacheIAMProvider, UsageError

FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
REGION = "eu-west-1"


@pytest.fixture
def frozen() -> Iterator[None]:
    """botocore's signing clock fixed at ``FIXED`` (both the provider and the reference read it)."""
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED.replace(tzinfo=None)):
        yield


def session(token: str | None = None) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        region_name=REGION,
    )


def reference_token(sess: boto3.Session, cache: str, user: str, serverless: bool) -> str:
    """What botocore's SigV4QueryAuth produces for the documented request, built by hand here."""
    creds = sess.get_credentials()
    assert creds is not None
    params: dict[str, Any] = {"Action": "connect", "User": user}
    if serverless:
        params["ResourceType"] = "ServerlessCache"
    request = AWSRequest(method="GET", url=f"http://{cache}/", params=params)
    SigV4QueryAuth(
        Credentials(creds.access_key, creds.secret_key, creds.token), "elasticache", REGION,
        expires=TOKEN_LIFETIME_SECONDS,
    ).add_auth(request)
    return str(request.prepare().url).removeprefix("http://")


@pytest.mark.parametrize("serverless", [False, True], ids=["ReplicationGroup", "ServerlessCache"])
def test_token_equals_botocore_reference(frozen: None, serverless: bool) -> None:
    sess = session()
    provider = ElastiCacheIAMProvider("app-user", "my-cache", REGION, serverless=serverless, session=sess)
    user, token = provider.get_credentials()
    assert user == "app-user"
    assert token == reference_token(sess, "my-cache", "app-user", serverless)
    assert token.startswith("my-cache/?Action=connect&User=app-user")
    assert ("ResourceType=ServerlessCache" in token) is serverless
    assert "X-Amz-Expires=900" in token and "X-Amz-Date=20260102T030405Z" in token
    assert f"%2F{REGION}%2Felasticache%2Faws4_request" in token


def test_token_is_refreshed_before_expiry_on_a_fake_clock() -> None:
    now = [1_000.0]
    provider = ElastiCacheIAMProvider("u", "c", REGION, session=session(), refresh_margin=60, clock=lambda: now[0])
    first = provider.get_credentials()[1]
    now[0] += TOKEN_LIFETIME_SECONDS - 61  # still valid for more than the margin: same token, nothing signed
    assert provider.get_credentials()[1] == first and provider.tokens_signed == 1
    now[0] += 2  # inside the margin: a new token before the old one expires
    with mock.patch("botocore.auth.get_current_datetime", return_value=dt.datetime(2030, 1, 1)):
        second = provider.get_credentials()[1]
    assert second != first and provider.tokens_signed == 2
    assert provider.expires_at == now[0] + TOKEN_LIFETIME_SECONDS


def test_sts_role_credentials_from_moto_sign_with_the_session_token(frozen: None) -> None:
    with mock_aws():
        sts = boto3.client("sts", region_name=REGION, aws_access_key_id="a" * 20, aws_secret_access_key="b" * 40)
        creds = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/app", RoleSessionName="app")["Credentials"]
    sess = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    )
    token = ElastiCacheIAMProvider("app", "group-1", REGION, session=sess).get_credentials()[1]
    assert "X-Amz-Security-Token=" in token
    assert token == reference_token(sess, "group-1", "app", False)


def test_token_never_in_repr() -> None:
    provider = ElastiCacheIAMProvider("u", "c", REGION, session=session())
    token = provider.get_credentials()[1]
    assert token not in repr(provider) and "Signature" not in repr(provider)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("", "c", REGION), {}, "iam user: empty"),
        (("u", "", REGION), {}, "iam cache_name: empty"),
        (("u", "c", ""), {}, "iam region: empty"),
        (("u", "c", REGION), {"refresh_margin": 900}, "iam refresh_margin: got 900; must be from 0 to 899"),
    ],
)
def test_bad_provider_arguments(args: tuple[str, str, str], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ElastiCacheIAMProvider(*args, **kwargs)
