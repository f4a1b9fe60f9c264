"""``connect()``: a configured client for a cache of this project, from wherever its outputs are.

Where the cache is described (exactly one):

* ``outputs_file=`` (``cdk deploy --outputs-file`` or the emulator's ``local-outputs.json``) with ``stack=`` /
  ``cache=`` when the file holds several;
* ``stack=`` + ``region=``: the stack's CloudFormation outputs read with boto3, the endpoint confirmed with
  ElastiCache's ``Describe*`` call;
* ``url=``: ``redis://``, ``rediss://`` (with redis-py's query parameters), ``memcached://``;
* ``env=PREFIX``: environment variables ``<PREFIX>_ENDPOINT_ADDRESS``, ``<PREFIX>_ENDPOINT_PORT``, ``<PREFIX>_TLS``,
  ``<PREFIX>_CLUSTER_MODE``, ``<PREFIX>_ENGINE``, ``<PREFIX>_RESOURCE_TYPE``, ``<PREFIX>_RESOURCE_ID``,
  ``<PREFIX>_AUTH_SECRET_ARN`` (and optional ``<PREFIX>_READER_ENDPOINT_ADDRESS`` / ``_PORT``): the outputs
  contract's keys in upper snake case, as a Lambda function or ECS task receives them.

Authentication: ``password=`` wins; ``iam=True`` signs IAM tokens for ``user=`` (:mod:`.iam`); otherwise the
AUTH token from the outputs (emulator) or from Secrets Manager (read once per process). With ``user=`` and an
emulator outputs file, the user's password comes from ``<P>LocalUsers``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict, Unpack

from .clients import ClientOptions, redis_client, ssl_context
from .errors import DiscoveryError, UsageError
from .iam import ElastiCacheIAMProvider
from .memcached import memcached_client, memcached_nodes
from .outputs import REQUIRED_SUFFIXES, ClientFactory, auth_password, parse_cache_outputs, target_of
from .outputs import target_from_outputs as _from_outputs
from .outputs import target_from_stack as _from_stack
from .target import Target, target_from_url

OPTIONAL_SUFFIXES = ("ReaderEndpointAddress", "ReaderEndpointPort", "AuthToken", "CaFile", "LocalUsers")
_ENV_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def env_name(prefix: str, suffix: str) -> str:
    """``("SESSIONS", "EndpointAddress")`` -> ``SESSIONS_ENDPOINT_ADDRESS``."""
    return f"{prefix}_{re.sub(r'(?<!^)(?=[A-Z])', '_', suffix).upper()}"


def target_from_env(prefix: str, environ: Mapping[str, str] | None = None, *, factory: ClientFactory | None = None,
                    read_secret: bool = True) -> Target:
    """Target from environment variables ``<prefix>_<OUTPUT>`` (see the module docstring)."""
    if not _ENV_PREFIX_RE.match(prefix or ""):
        raise UsageError(f"env: got {prefix!r}; expected an upper-case variable prefix such as 'SESSIONS'")
    environ = os.environ if environ is None else environ
    missing = [env_name(prefix, s) for s in REQUIRED_SUFFIXES if env_name(prefix, s) not in environ]
    if missing:
        raise DiscoveryError(
            f"environment variable(s) {', '.join(missing)} not set "
            f"(required: {', '.join(env_name(prefix, s) for s in REQUIRED_SUFFIXES)})"
        )
    values = {
        f"Env{suffix}": environ[env_name(prefix, suffix)]
        for suffix in (*REQUIRED_SUFFIXES, *OPTIONAL_SUFFIXES)
        if environ.get(env_name(prefix, suffix))
    }
    parsed = parse_cache_outputs(f"env {prefix}_*", values, "Env")
    parsed.region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    password = auth_password(parsed, factory) if read_secret else parsed.auth_token
    return target_of(parsed, f"environment {prefix}_*", password, [])


def _region(explicit: str | None, target: Target, session: Any) -> str:
    region = (
        explicit
        or target.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or (getattr(session, "region_name", None) if session is not None else None)
    )
    if not region:
        raise UsageError("iam: the cache's region is unknown; pass region= (or set AWS_REGION)")
    return str(region)


def apply_credentials(
    target: Target,
    *,
    user: str | None = None,
    password: str | None = None,
    iam: bool = False,
    region: str | None = None,
    cache_name: str | None = None,
    serverless: bool | None = None,
    session: Any = None,
) -> Target:
    """Set the target's user and password, or an IAM credential provider (``iam=True``), in place.

    * ``password``: wins over everything else (user ``user`` or the default user).
    * ``iam``: needs ``user``; the token is signed for ``cache_name`` (default the outputs' ``ResourceId``)
      as a serverless cache when ``serverless`` (default: the outputs' ``ResourceType``).
    * ``user`` alone: its password from ``<P>LocalUsers`` (emulator outputs), else the AUTH token found.
    """
    if iam:
        if not user:
            raise UsageError("iam=True needs user= (the ElastiCache user whose authentication mode is IAM)")
        if password:
            raise UsageError("iam=True and password= exclude each other: an IAM user has no password")
        name = cache_name or target.resource_id
        if not name:
            raise UsageError("iam=True: cache_name= is needed (replication group id or serverless cache name)")
        is_serverless = serverless if serverless is not None else target.resource_type == "ServerlessCache"
        target.credential_provider = ElastiCacheIAMProvider(
            user, name, _region(region, target, session), serverless=is_serverless, session=session
        )
        target.username, target.password = user, None
        return target
    if user and target.local_users and password is None:
        if user not in target.local_users:
            raise UsageError(
                f"user {user!r} is not a user of this cache; allowed: {', '.join(sorted(target.local_users))}"
            )
        local = target.local_users[user]
        # Locally an IAM user accepts any password (ACL nopass): send a placeholder.
        password = local.get("password") or ("local-iam-token" if local.get("iam") else None)
    if user:
        target.username = user
    if password is not None:
        target.password = password
    return target


class CacheSource(TypedDict, total=False):
    """Where the cache is and how to log in: the keyword arguments of :func:`connect` / :func:`resolve_target`.

    ``outputs_file`` / ``stack`` / ``cache`` / ``url`` / ``region`` / ``env`` (with ``environ``, default
    ``os.environ``): see the module docstring. ``user``, ``password``, ``iam``, ``cache_name``, ``serverless``,
    ``session``: see :func:`apply_credentials`. ``ca_file``: extra CA certificates for TLS verification.
    ``factory``: ``factory(service, region) -> boto3 client`` (default boto3's standard chain).
    """

    outputs_file: str | Path | None
    stack: str | None
    cache: str | None
    url: str | None
    region: str | None
    env: str | None
    environ: Mapping[str, str] | None
    user: str | None
    password: str | None
    iam: bool
    ca_file: str | None
    cache_name: str | None
    serverless: bool | None
    session: Any
    factory: ClientFactory | None


def resolve_target(**where: Unpack[CacheSource]) -> Target:
    """The :class:`Target` :func:`connect` connects to (same arguments); the AUTH secret is read only if needed."""
    unknown = sorted(set(where) - set(CacheSource.__annotations__))
    if unknown:
        raise UsageError(
            f"unknown argument(s) {', '.join(unknown)}; allowed: {', '.join(CacheSource.__annotations__)}, "
            "read_from, options"
        )
    outputs_file, stack, cache = where.get("outputs_file"), where.get("stack"), where.get("cache")
    url = where.get("url")
    region, env, factory, ca_file = where.get("region"), where.get("env"), where.get("factory"), where.get("ca_file")
    iam, password = bool(where.get("iam")), where.get("password")
    sources = [name for name, given in (("outputs_file", outputs_file), ("url", url), ("env", env)) if given]
    if len(sources) > 1:
        raise UsageError(f"give one of outputs_file=, stack= with region=, url= or env=; got {', '.join(sources)}")
    read_secret = not iam and password is None
    if url:
        if stack or cache:
            raise UsageError("url= cannot be combined with stack= or cache=")
        target = target_from_url(url, ca_file=ca_file, argument="url")
    elif outputs_file:
        target = _from_outputs(outputs_file, stack, cache, factory=factory, read_secret=read_secret)
    elif env:
        target = target_from_env(env, where.get("environ"), factory=factory, read_secret=read_secret)
    elif stack:
        if not region:
            raise UsageError(f"stack={stack!r} without outputs_file= needs region= (the stack's AWS region)")
        target = _from_stack(stack, region, cache, factory=factory, read_secret=read_secret)
    else:
        raise UsageError("no cache given: pass outputs_file= [stack=, cache=], stack= with region=, url= or env=")
    if ca_file:
        target.ca_file = ca_file
    return apply_credentials(
        target, user=where.get("user"), password=password, iam=iam, region=region,
        cache_name=where.get("cache_name"), serverless=where.get("serverless"), session=where.get("session"),
    )


def client_for(target: Target, options: ClientOptions | None = None) -> Any:
    """The client for a resolved target: ``Redis``/``RedisCluster`` (by its cluster flag) or pymemcache."""
    options = options or ClientOptions()
    if target.is_redis:
        return redis_client(target, options)
    if options.read_from != "primary":
        raise UsageError("read_from='replicas': Memcached has no replicas; allowed for Memcached: primary")
    tls = ssl_context(target) if target.tls else None
    return memcached_client(target, memcached_nodes(target, tls, options.connect_timeout), tls,
                            options.socket_timeout)


def connect(*, read_from: str = "primary", options: ClientOptions | None = None, **where: Unpack[CacheSource]) -> Any:
    """A configured client for one cache (see the module docstring for where it is described).

    Returns ``redis.Redis`` (cluster mode disabled, serverless reader disabled), ``redis.cluster.RedisCluster``
    (``<P>ClusterMode=true``) or a pymemcache client (Memcached, every node). TLS verifies the server with the
    system trust store plus ``ca_file`` / ``<P>CaFile``. ``read_from="replicas"`` reads from replicas (cluster
    mode) or the reader endpoint. ``options`` overrides timeouts and retries (:class:`ClientOptions`).
    Errors name what is missing; no password or token appears in any error, log line or ``repr``.
    ``where``: :class:`CacheSource` (``outputs_file``, ``stack``, ``cache``, ``url``, ``region``, ``env``, ``user``,
    ``password``, ``iam``, ``ca_file``, ``cache_name``, ``serverless``, ``session``).
    """
    target = resolve_target(**where)
    base = options or ClientOptions()
    if read_from != base.read_from:
        from dataclasses import replace

        base = replace(base, read_from=read_from)
    return client_for(target, base)
