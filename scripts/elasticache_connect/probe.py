"""Diagnose a connection one stage at a time so a failure names the stage that broke.

Order: DNS (``getaddrinfo``) -> TCP connect -> TLS handshake -> AUTH + PING -> cluster discovery.
When a plain-text client is refused by a TLS-only server (or the reverse), a second small probe
confirms which side speaks TLS so the message can say so precisely.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .clients import ClientOptions, redis_client, redis_kwargs, ssl_context
from .errors import (
    STAGE_AUTH,
    STAGE_CLUSTER,
    STAGE_DNS,
    STAGE_PROTOCOL,
    STAGE_TCP,
    STAGE_TLS,
    ConnectError,
)
from .memcached import memcached_client, memcached_nodes
from .target import Target

DEFAULT_TIMEOUT = 5.0


@dataclass
class RedisConnection:
    """A connected redis-py client (``Redis`` or ``RedisCluster``) plus what the probe learned."""

    client: Any
    cluster: bool
    version: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Close every connection pool of the client."""
        with contextlib.suppress(Exception):  # closing is best effort
            self.client.close()


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """Stage DNS: ``getaddrinfo`` for TCP."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectError(STAGE_DNS, f"cannot resolve host {host!r}: {exc.strerror or exc}") from None
    if not infos:
        raise ConnectError(STAGE_DNS, f"host {host!r} resolved to no addresses")
    return infos


def tcp_connect(host: str, port: int, infos: list[tuple[Any, ...]], timeout: float) -> socket.socket:
    """Stage TCP: connect to the first address that accepts."""
    errors = []
    for family, socktype, proto, _canon, address in infos:
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            reason = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else (exc.strerror or str(exc))
            errors.append(f"{address[0]}: {reason}")
    raise ConnectError(STAGE_TCP, f"cannot connect to {host}:{port} ({'; '.join(errors)})")


def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    """True when a TLS handshake (without certificate checks) succeeds against host:port."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, context.wrap_socket(raw):
            return True
    except (OSError, ssl.SSLError):
        return False


def _answers_plain_redis(host: str, port: int, timeout: float) -> bool:
    """True when the endpoint answers a plain-text PING (with PONG or an auth error)."""
    conn = redis.Connection(host=host, port=port, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        conn.connect()
        conn.send_command("PING")
        conn.read_response()
        return True
    except (redis.AuthenticationError, redis.ResponseError):
        return True
    except Exception:
        return False
    finally:
        conn.disconnect()


def tls_handshake(target: Target, sock: socket.socket, timeout: float) -> None:
    """Stage TLS: handshake and certificate verification; closes ``sock``."""
    context = ssl_context(target)
    try:
        with context.wrap_socket(sock, server_hostname=target.host) as tls_sock:
            tls_sock.settimeout(timeout)
    except ssl.SSLCertVerificationError as exc:
        hint = (
            "pass --ca-file with the CA that signed the server certificate"
            if not target.ca_file
            else (f"the certificate is not signed by {target.ca_file} or does not name {target.host}")
        )
        raise ConnectError(STAGE_TLS, f"certificate verification failed: {exc.verify_message or exc}; {hint}") from None
    except (ssl.SSLError, OSError) as exc:
        if _answers_plain_redis(target.host, target.port, timeout) if target.is_redis else False:
            raise ConnectError(
                STAGE_TLS,
                f"TLS handshake with {target.host}:{target.port} failed ({exc}): "
                "the server answered in plain text, "
                "so it does not use TLS; connect without TLS (redis:// URL, or <P>Tls=false)",
            ) from None
        raise ConnectError(STAGE_TLS, f"TLS handshake with {target.host}:{target.port} failed: {exc}") from None
    finally:
        sock.close()


def error_text(exc: BaseException) -> str:
    """The server's error with its code (redis-py strips ``OOM``/``NOPERM``/``WRONGPASS`` off the message)."""
    text = str(exc)
    code = getattr(exc, "status_code", None)
    if isinstance(exc, redis.RedisError) and code and not text.startswith(str(code)):
        return f"{code} {text}"
    return text


def _auth_message(exc: BaseException, target: Target) -> str:
    text = error_text(exc)
    who = f"user {target.username!r}" if target.username else "the default user"
    if target.credential_provider is not None:
        return f"IAM authentication as {who} was refused ({text})"
    if "without any password configured" in text:
        return f"a password was given but the server has no password configured for {who} ({text})"
    if "NOPERM" in text:
        return f"{who} authenticated but may not run PING ({text})"
    if not target.password:
        return (
            f"the server requires authentication but no password/token was given ({text}); "
            "pass --password, set REDIS_PASSWORD or put the token in the URL"
        )
    if "WRONGPASS" in text or "invalid username-password" in text or "invalid password" in text:
        return f"wrong password or username for {who} ({text})"
    return text


def _accepts_anonymous(target: Target, timeout: float) -> bool:
    anonymous = target.replace(password=None, username=None, credential_provider=None)
    client = _plain_client(anonymous, timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _plain_client(target: Target, timeout: float) -> redis.Redis:
    kwargs = redis_kwargs(target, ClientOptions().with_timeout(timeout))
    kwargs["retry"] = Retry(ExponentialBackoff(), 0)
    return redis.Redis(host=target.host, port=target.port, **kwargs)


def probe_redis(target: Target, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Run the stages DNS, TCP, TLS and AUTH against ``target``; return server facts.

    The result has ``version``, ``cluster_enabled`` (``None`` if the user may not ask) and ``mode``.
    """
    infos = resolve(target.host, target.port)
    sock = tcp_connect(target.host, target.port, infos, timeout)
    if target.tls:
        tls_handshake(target, sock, timeout)
    else:
        sock.close()
    client = _plain_client(target, timeout)
    facts_notes: list[str] = []
    try:
        try:
            client.ping()
        except redis.AuthenticationError as exc:
            raise ConnectError(STAGE_AUTH, _auth_message(exc, target)) from None
        except redis.ResponseError as exc:
            raise ConnectError(STAGE_AUTH, _auth_message(exc, target)) from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if not target.tls and _speaks_tls(target.host, target.port, timeout):
                raise ConnectError(
                    STAGE_TLS,
                    f"{target.host}:{target.port} requires TLS but the client connected in plain text "
                    f"(server closed the connection: {exc}); use a rediss:// URL (or <P>Tls=true)",
                ) from None
            raise ConnectError(
                STAGE_TCP, f"connection to {target.host}:{target.port} dropped before PING: {exc}"
            ) from None
        except redis.RedisError as exc:
            raise ConnectError(
                STAGE_PROTOCOL,
                f"{target.host}:{target.port} does not speak the Redis protocol ({exc}); "
                "is it a Memcached endpoint (memcached:// URL)?",
            ) from None
        if (target.password or target.credential_provider) and _accepts_anonymous(target, timeout):
            facts_notes.append(
                "a password was given but the server also accepts unauthenticated connections "
                "(the default user needs no AUTH)"
            )
        facts: dict[str, Any] = {"version": "", "cluster_enabled": None, "mode": "", "notes": facts_notes}
        try:
            server = client.info("server")
            facts["version"] = str(server.get("valkey_version") or server.get("redis_version") or "")
            facts["mode"] = str(server.get("redis_mode", ""))
            facts["cluster_enabled"] = bool(int(client.info("cluster").get("cluster_enabled", 0)))
        except redis.ResponseError:
            # INFO may be forbidden by ACL (@dangerous); CLUSTER INFO is not.
            try:
                client.execute_command("CLUSTER", "INFO")
                facts["cluster_enabled"] = True
            except redis.ResponseError as exc:
                if "cluster support disabled" in str(exc).lower() or "not enabled" in str(exc).lower():
                    facts["cluster_enabled"] = False
        return facts
    finally:
        client.close()


def connect_redis(
    target: Target, timeout: float = DEFAULT_TIMEOUT, options: ClientOptions | None = None
) -> RedisConnection:
    """Probe all stages and return a ready client; ``RedisCluster`` for cluster-mode targets.

    ``options`` (default: :class:`ClientOptions` with both timeouts ``timeout``) configure the returned client.
    """
    options = options or ClientOptions().with_timeout(timeout)
    facts = probe_redis(target, timeout)
    notes: list[str] = list(facts["notes"])
    cluster = target.cluster
    if cluster is None:
        cluster = bool(facts["cluster_enabled"])
        if facts["cluster_enabled"] is None:
            notes.append("could not detect cluster mode (INFO and CLUSTER INFO refused); assuming disabled")
    elif facts["cluster_enabled"] is not None and facts["cluster_enabled"] != cluster:
        notes.append(
            f"target says cluster mode {'enabled' if cluster else 'disabled'} but the server reports "
            f"cluster_enabled:{int(bool(facts['cluster_enabled']))}"
        )
    if not cluster:
        return RedisConnection(redis_client(target, options, cluster=False), False, facts["version"], facts, notes)
    from redis.exceptions import RedisClusterException

    try:
        cluster_client = redis_client(target, options, cluster=True)
    except (RedisClusterException, redis.RedisError, OSError) as exc:
        raise ConnectError(
            STAGE_CLUSTER, f"cannot build the cluster slot map from {target.host}:{target.port}: {exc}"
        ) from None
    try:
        state = str(cluster_client.execute_command("CLUSTER", "INFO"))
    except redis.ResponseError as exc:
        # The slot map was built, so routing works; some endpoints (e.g. serverless) refuse CLUSTER INFO.
        notes.append(f"CLUSTER INFO refused ({error_text(exc)}); cluster state not checked")
        state = "cluster_state:ok"
    except redis.RedisError as exc:
        cluster_client.close()
        raise ConnectError(STAGE_CLUSTER, f"CLUSTER INFO failed: {exc}") from None
    if "cluster_state:ok" not in state:
        cluster_client.close()
        raise ConnectError(STAGE_CLUSTER, "the cluster reports cluster_state other than ok (slots not all served)")
    return RedisConnection(cluster_client, True, facts["version"], facts, notes)


def connect_memcached(target: Target, timeout: float = DEFAULT_TIMEOUT) -> tuple[Any, str]:
    """Probe DNS/TCP/TLS then ``version`` on every node (auto-discovered where the endpoint supports it).

    Returns a pymemcache client (``HashClient`` for several nodes) and the server version.
    """
    from pymemcache.client.base import Client

    for host, port in target.nodes or [(target.host, target.port)]:
        sock = tcp_connect(host, port, resolve(host, port), timeout)
        if target.tls:
            tls_handshake(target.replace(host=host, port=port), sock, timeout)
        else:
            sock.close()
    tls_context = ssl_context(target) if target.tls else None
    nodes = memcached_nodes(target, tls_context, timeout)
    version = ""
    for host, port in nodes:
        probe = Client((host, port), connect_timeout=timeout, timeout=timeout, tls_context=tls_context)
        try:
            version = probe.version()
        except Exception as exc:
            if not target.tls and _speaks_tls(host, port, timeout):
                raise ConnectError(STAGE_TLS, f"{host}:{port} requires TLS; use a memcacheds:// URL") from None
            raise ConnectError(
                STAGE_PROTOCOL, f"{host}:{port} did not answer the memcached 'version' command: {exc}"
            ) from None
        finally:
            probe.close()
        if not version:
            raise ConnectError(STAGE_PROTOCOL, f"{host}:{port} returned no memcached version")
    text = version.decode() if isinstance(version, bytes) else str(version)
    return memcached_client(target, nodes, tls_context, timeout), f"memcached {text}"
