"""The description of a cache endpoint (:class:`Target`) and ``redis://`` / ``rediss://`` / ``memcached://`` URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import UsageError

ENGINES = ("redis", "valkey", "memcached")
REDIS_ENGINES = ("redis", "valkey")
URL_SCHEMES = ("redis", "rediss", "valkey", "valkeys", "memcached", "memcacheds")


@dataclass
class Target:
    """A cache endpoint plus everything needed to talk to it.

    ``cluster`` is ``None`` when it should be detected (``INFO cluster``); ``nodes`` lists extra
    Memcached node endpoints (a configuration endpoint alone also works). ``password`` and
    ``credential_provider`` are never printed or written to JSON. ``options`` holds further redis-py
    connection arguments (from a URL's query string, e.g. ``socket_timeout``); ``resource_type`` /
    ``resource_id`` / ``region`` say which ElastiCache resource it is (for IAM tokens and ``TestFailover``).
    """

    engine: str
    host: str
    port: int
    tls: bool = False
    cluster: bool | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    tls_verify: bool = True
    source: str = ""
    reader_host: str | None = None
    reader_port: int | None = None
    nodes: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resource_type: str | None = None
    resource_id: str | None = None
    region: str | None = None
    credential_provider: Any = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold ssl_password
    local_users: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UsageError(f"engine {self.engine!r} is not supported; allowed: {', '.join(ENGINES)}")
        if not self.host:
            raise UsageError("target host is empty")
        if not 0 < int(self.port) < 65536:
            raise UsageError(f"target port {self.port!r} is out of range 1-65535")
        self.port = int(self.port)

    @property
    def is_redis(self) -> bool:
        """True for Redis OSS and Valkey (same protocol)."""
        return self.engine in REDIS_ENGINES

    def describe(self) -> str:
        """One line for humans: engine, endpoint, TLS, cluster mode, auth (without the secret)."""
        cluster = {True: "cluster mode", False: "cluster mode disabled", None: "cluster mode auto"}[self.cluster]
        auth = "no auth"
        if self.credential_provider is not None:
            auth = f"IAM as {self.username}" if self.username else "credential provider"
        elif self.password:
            auth = f"AUTH as {self.username}" if self.username else "AUTH token"
        tls = "TLS" if self.tls else "plain TCP"
        return f"{self.engine} {self.host}:{self.port} ({tls}, {cluster}, {auth})"

    def as_dict(self) -> dict[str, object]:
        """JSON-safe description; the password is replaced by whether one is set."""
        return {
            "engine": self.engine,
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "cluster": self.cluster,
            "username": self.username,
            "password_set": bool(self.password),
            "iam": self.credential_provider is not None,
            "ca_file": self.ca_file,
            "source": self.source,
            "reader_host": self.reader_host,
            "reader_port": self.reader_port,
            "nodes": [f"{h}:{p}" for h, p in self.nodes],
            "notes": list(self.notes),
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "region": self.region,
            "options": {k: v for k, v in self.options.items() if k not in _SECRET_OPTIONS},
        }

    def replace(self, **changes: Any) -> Target:
        """A copy with ``changes`` applied (e.g. another host for one Memcached node)."""
        return Target(**{**self.__dict__, **changes})


# redis-py connection arguments a URL's query string may not override: they are this package's job.
_MANAGED_OPTIONS = frozenset({"host", "port", "username", "password", "connection_class", "path"})
_SECRET_OPTIONS = frozenset({"password", "ssl_password"})
# ``ssl_cert_reqs`` values redis-py accepts (strings of ``ssl.VerifyMode``).
_CERT_REQS = {"none": False, "optional": True, "required": True}


def _url_options(url: str, scheme: str, query: str, argument: str) -> dict[str, Any]:
    """The query string parsed exactly as redis-py's ``from_url`` parses it (``redis.connection.parse_url``)."""
    if not query:
        return {}
    if scheme.startswith("memcached"):
        raise UsageError(f"{argument} {redact_url(url)!r}: memcached URLs take no query parameters, got {query!r}")
    from redis.connection import parse_url

    try:
        parsed = parse_url(f"{'rediss' if scheme.endswith('s') else 'redis'}://localhost/?{query}")
    except ValueError as exc:
        raise UsageError(f"{argument} {redact_url(url)!r}: {exc}") from None
    names = set(parse_qs(query))
    return {k: v for k, v in parsed.items() if k in names and k not in _MANAGED_OPTIONS}


def target_from_url(
    url: str,
    *,
    password: str | None = None,
    username: str | None = None,
    cluster: bool | None = None,
    ca_file: str | None = None,
    tls_verify: bool = True,
    argument: str = "--url",
) -> Target:
    """Build a :class:`Target` from ``redis://``, ``rediss://`` (``valkey[s]://``) or ``memcached[s]://`` URLs.

    Query parameters are the ones redis-py's ``Redis.from_url`` accepts (parsed by redis-py itself):
    ``ssl_ca_certs`` becomes the CA file, ``ssl_cert_reqs=none`` turns verification off, and the others
    (``socket_timeout``, ``ssl_check_hostname``, ``ssl_certfile``, ``health_check_interval`` ...) are passed
    to the connection. Explicit arguments win over the URL. ``argument`` names the URL in error messages.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    shown = redact_url(url)
    if scheme not in URL_SCHEMES:
        raise UsageError(
            f"{argument} {shown!r}: scheme {parts.scheme or '(none)'!r} is not supported; "
            f"allowed: {', '.join(s + '://' for s in URL_SCHEMES)}"
        )
    if not parts.hostname:
        raise UsageError(f"{argument} {shown!r} has no host; expected e.g. redis://host:6379")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{argument} {shown!r}: invalid port ({exc})") from None
    engine = "memcached" if scheme.startswith("memcached") else ("valkey" if scheme.startswith("valkey") else "redis")
    default_port = 11211 if engine == "memcached" else 6379
    if parts.path not in ("", "/", "/0"):
        raise UsageError(
            f"{argument} {shown!r}: database {parts.path.lstrip('/')!r} is not supported; "
            "ElastiCache only has database 0 in cluster mode, use no path or /0"
        )
    options = _url_options(url, scheme, parts.query, argument)
    if options.pop("db", 0):
        raise UsageError(f"{argument} {shown!r}: db must be 0 (ElastiCache cluster mode has only database 0)")
    url_ca = options.pop("ssl_ca_certs", None)
    cert_reqs = options.pop("ssl_cert_reqs", None)
    url_verify = True
    if cert_reqs is not None:
        if str(cert_reqs).lower() not in _CERT_REQS:
            raise UsageError(
                f"{argument} {shown!r}: ssl_cert_reqs={cert_reqs!r}; allowed: {', '.join(_CERT_REQS)}"
            )
        url_verify = _CERT_REQS[str(cert_reqs).lower()]
    url_user = unquote(parts.username) if parts.username else None
    url_password = unquote(parts.password) if parts.password is not None else None
    if url_password is None and url_user is not None and parts.password is None:
        # redis://token@host is commonly used for a bare AUTH token
        url_password, url_user = url_user, None
    return Target(
        engine=engine,
        host=parts.hostname,
        port=port or default_port,
        tls=scheme in ("rediss", "valkeys", "memcacheds"),
        cluster=cluster if engine != "memcached" else False,
        username=username or url_user or None,
        password=password if password is not None else url_password,
        ca_file=ca_file or url_ca,
        tls_verify=tls_verify and url_verify,
        source=f"--url {shown}",
        options=options,
    )


def redact_url(url: str) -> str:
    """The URL with any password (user info, ``password=`` / ``ssl_password=`` query values) replaced by ``***``."""
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k in _SECRET_OPTIONS for k, _ in pairs):
        parts = parts._replace(query=urlencode([(k, "***" if k in _SECRET_OPTIONS else v) for k, v in pairs],
                                               safe="*/"))
    elif parts.password is None and parts.username is None:
        return url
    if parts.password is None and parts.username is None:
        return parts.geturl()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    tail = parts.netloc.rsplit("@", 1)[-1]
    netloc = host + (tail[tail.rindex(":"):] if tail.rfind(":") > tail.rfind("]") else "")
    user = f"{parts.username}:***@" if parts.password is not None else "***@"
    return parts._replace(netloc=user + netloc).geturl()
