"""IAM authentication for ElastiCache (Valkey / Redis OSS 7+): a redis-py ``CredentialProvider``.

The token is a SigV4 *presigned URL* of the request ``GET http://<cache>/?Action=connect&User=<user>``
(plus ``&ResourceType=ServerlessCache`` for a serverless cache), signed for service ``elasticache`` in the
cache's region, valid 900 seconds, with the ``http://`` scheme removed. This follows AWS's sample code in
"Authenticating with IAM": https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html
(limits there: the user id must equal the user name, lowercase; a token is valid for 15 minutes; IAM-authenticated
connections are closed after 12 hours, so a reconnect must present a fresh token).

The signing is botocore's (``RequestSigner.generate_presigned_url``), never hand-rolled, and the AWS credentials
come from the standard chain (``boto3.Session().get_credentials()``: environment, profile, container/instance
role, SSO ...), re-read for every token so rotated role credentials are used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from redis.credentials import CredentialProvider

from .errors import UsageError

TOKEN_LIFETIME_SECONDS = 900  # "The IAM authentication token is valid for 15 minutes" (auth-iam.html)
DEFAULT_REFRESH_MARGIN_SECONDS = 60
RESOURCE_TYPES = ("ReplicationGroup", "ServerlessCache")


class ElastiCacheIAMProvider(CredentialProvider):
    """``(user, token)`` for redis-py's ``credential_provider=``; a fresh token before the cached one expires.

    * ``user``: the ElastiCache user (authentication mode IAM; its user id equals its name).
    * ``cache_name``: replication group id or serverless cache name (the ``<P>ResourceId`` output).
    * ``region``: the cache's region (required; a token signed for another region is refused).
    * ``serverless``: sign with ``ResourceType=ServerlessCache`` (default ``False``: a replication group).
    * ``session``: a ``boto3.Session`` (default: a new one, i.e. the standard credential chain).
    * ``refresh_margin``: seconds before expiry at which a new token is signed (default 60).
    * ``clock``: seconds since the epoch (default ``time.time``; tests pass a fake clock).

    redis-py asks for credentials on every new connection (and reconnect), so each connection gets a token
    that is valid for at least ``refresh_margin`` seconds. The token never appears in ``repr``.
    """

    def __init__(
        self,
        user: str,
        cache_name: str,
        region: str,
        *,
        serverless: bool = False,
        session: Any = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not user:
            raise UsageError("iam user: empty; give the ElastiCache user name whose authentication mode is IAM")
        if not cache_name:
            raise UsageError("iam cache_name: empty; give the replication group id or serverless cache name")
        if not region:
            raise UsageError("iam region: empty; give the cache's AWS region (e.g. eu-west-1)")
        if not 0 <= refresh_margin < TOKEN_LIFETIME_SECONDS:
            raise UsageError(
                f"iam refresh_margin: got {refresh_margin}; must be from 0 to {TOKEN_LIFETIME_SECONDS - 1} seconds"
            )
        self.user = user
        # ElastiCache resource names are lowercase; the signed host must be the lowercase name (auth-iam.html).
        self.cache_name = cache_name.lower()
        self.region = region
        self.serverless = serverless
        self.refresh_margin = refresh_margin
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_signed = 0

    def __repr__(self) -> str:
        kind = "ServerlessCache" if self.serverless else "ReplicationGroup"
        return f"ElastiCacheIAMProvider(user={self.user!r}, cache={self.cache_name!r} ({kind}), region={self.region!r})"

    @property
    def resource_type(self) -> str:
        """``ServerlessCache`` or ``ReplicationGroup``."""
        return "ServerlessCache" if self.serverless else "ReplicationGroup"

    def request_url(self) -> str:
        """The unsigned request: ``http://<cache>/?Action=connect&User=<user>[&ResourceType=ServerlessCache]``."""
        from urllib.parse import quote

        url = f"http://{self.cache_name}/?Action=connect&User={quote(self.user, safe='')}"
        if self.serverless:
            url += "&ResourceType=ServerlessCache"
        return url

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session()
        return self._session

    def sign(self) -> str:
        """A new token (a presigned URL without ``http://``), valid ``TOKEN_LIFETIME_SECONDS``."""
        session = self._boto_session()
        credentials = session.get_credentials()
        if credentials is None:
            from .errors import ConnectError

            raise ConnectError(
                "AUTH",
                f"IAM authentication as {self.user!r}: no AWS credentials found in the standard chain "
                "(environment, profile, container or instance role)",
            )
        from botocore.model import ServiceId
        from botocore.signers import RequestSigner

        signer = RequestSigner(
            ServiceId("elasticache"),
            self.region,
            "elasticache",
            "v4",
            credentials,
            session.events,
        )
        request = {"method": "GET", "url": self.request_url(), "body": {}, "headers": {}, "context": {}}
        signed = signer.generate_presigned_url(
            request, operation_name="connect", expires_in=TOKEN_LIFETIME_SECONDS, region_name=self.region
        )
        self.tokens_signed += 1
        return str(signed).removeprefix("http://")

    def get_credentials(self) -> tuple[str, str]:
        """``(user, token)``; signs a new token when none is cached or it expires within ``refresh_margin``."""
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - self.refresh_margin:
                self._token = self.sign()
                self._expires_at = now + TOKEN_LIFETIME_SECONDS
            return self.user, self._token

    async def get_credentials_async(self) -> tuple[str, str]:
        """Same as :meth:`get_credentials` (signing is local CPU work, no network call)."""
        return self.get_credentials()

    @property
    def expires_at(self) -> float:
        """When the cached token expires (clock seconds; 0 before the first token)."""
        return self._expires_at
