"""The description of what the smoke test connects to, and ``--url`` parsing."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .errors import UsageError

ENGINES = ("redis", "valkey", "memcached")
REDIS_ENGINES = ("redis", "valkey")
URL_SCHEMES = ("redis", "rediss", "valkey", "valkeys", "memcached", "memcacheds")


@dataclass
class Target:
    """A cache endpoint plus everything needed to talk to it.

    ``cluster`` is ``None`` when it should be detected (``INFO cluster``); ``nodes`` lists extra
    Memcached node endpoints (a configuration endpoint alone also works). ``password`` is never
    printed or written to JSON.
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
        if self.password:
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
            "ca_file": self.ca_file,
            "source": self.source,
            "reader_host": self.reader_host,
            "reader_port": self.reader_port,
            "nodes": [f"{h}:{p}" for h, p in self.nodes],
            "notes": list(self.notes),
        }


def target_from_url(
    url: str,
    *,
    password: str | None = None,
    username: str | None = None,
    cluster: bool | None = None,
    ca_file: str | None = None,
    tls_verify: bool = True,
) -> Target:
    """Build a :class:`Target` from ``redis://``, ``rediss://`` or ``memcached://`` URLs.

    Explicit ``password`` / ``username`` arguments win over credentials embedded in the URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise UsageError(
            f"--url {url!r}: scheme {parts.scheme or '(none)'!r} is not supported; "
            f"allowed: {', '.join(s + '://' for s in URL_SCHEMES)}"
        )
    if not parts.hostname:
        raise UsageError(f"--url {url!r} has no host; expected e.g. redis://host:6379")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--url {url!r}: invalid port ({exc})") from None
    engine = "memcached" if scheme.startswith("memcached") else ("valkey" if scheme.startswith("valkey") else "redis")
    default_port = 11211 if engine == "memcached" else 6379
    if parts.path not in ("", "/", "/0"):
        raise UsageError(
            f"--url {url!r}: database {parts.path.lstrip('/')!r} is not supported; "
            "ElastiCache only has database 0 in cluster mode, use no path or /0"
        )
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
        ca_file=ca_file,
        tls_verify=tls_verify,
        source=f"--url {redact_url(url)}",
    )


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    user = f"{parts.username}:***@" if parts.password is not None else "***@"
    return parts._replace(netloc=user + netloc).geturl()
