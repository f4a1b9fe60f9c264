"""Cache engines and engine versions, with what each version supports."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import ClassVar

from ._validation import fail, is_unresolved


class Engine(enum.StrEnum):
    """The ElastiCache engines (a closed set). Members compare equal to the CloudFormation ``Engine`` value."""

    VALKEY = "valkey"
    REDIS = "redis"
    MEMCACHED = "memcached"

    @property
    def is_redis_compatible(self) -> bool:
        """True for Valkey and Redis OSS (same protocol, replication groups, cluster mode)."""
        return self is not Engine.MEMCACHED

    @classmethod
    def parse(cls, value: Engine | str, prop: str = "engine") -> Engine:
        """Accept a member or its string; anything else raises naming ``prop`` and the allowed values."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise fail(prop, value, "allowed: " + ", ".join(e.value for e in cls)) from None


_VERSION_RE = re.compile(r"^(\d+)(?:\.(\d+|x))?(?:\.(\d+))?$")

#: Lowest version node-based caches offer per engine: "ElastiCache node-based caches support Valkey 7.2 and later,
#: Memcached 1.4.5 and later, and Redis OSS 4.0.10 and later."
#: Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html
MIN_VERSION: dict[Engine, tuple[int, int, int]] = {
    Engine.VALKEY: (7, 2, 0),
    Engine.REDIS: (4, 0, 10),
    Engine.MEMCACHED: (1, 4, 5),
}

#: The versions node-based caches offer (``EngineVersion`` values). Valkey and Redis OSS 6+ are offered per
#: major.minor (a patch, e.g. ``7.2.6``, may be given); older Redis OSS and Memcached per exact version.
#: Sources: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html and
#: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html (Valkey 8.2, 9.0, 9.1).
OFFERED_MINORS: dict[Engine, tuple[tuple[int, int], ...]] = {
    Engine.VALKEY: ((7, 2), (8, 0), (8, 1), (8, 2), (9, 0), (9, 1)),
    Engine.REDIS: ((6, 0), (6, 2), (7, 0), (7, 1)),
    Engine.MEMCACHED: (),
}
OFFERED_EXACT: dict[Engine, tuple[tuple[int, int, int], ...]] = {
    Engine.VALKEY: (),
    Engine.REDIS: ((4, 0, 10), (5, 0, 0), (5, 0, 3), (5, 0, 4), (5, 0, 5), (5, 0, 6)),
    Engine.MEMCACHED: (
        (1, 4, 5), (1, 4, 14), (1, 4, 24), (1, 4, 33), (1, 4, 34), (1, 5, 10), (1, 5, 16),
        (1, 6, 6), (1, 6, 12), (1, 6, 17), (1, 6, 22),
    ),
}


def _offered(engine: Engine) -> str:
    minors = [f"{a}.{b}" for a, b in OFFERED_MINORS[engine]]
    exact = [".".join(map(str, v)) for v in OFFERED_EXACT[engine]]
    return ", ".join(exact + minors)


def check_offered(engine: Engine, version: str, parts: tuple[int, int, int]) -> None:
    """Reject a version node-based ElastiCache caches do not offer (e.g. ``redis 7.2``, ``valkey 8.3``)."""
    major, minor, patch = parts
    if engine is Engine.REDIS and major == 6 and minor == 999:
        return  # "6.x": the Redis OSS 6 family name CloudFormation accepts
    if (major, minor) in OFFERED_MINORS[engine]:
        return
    if parts in OFFERED_EXACT[engine] or (patch == 999 and any(v[:2] == (major, minor) for v in OFFERED_EXACT[engine])):
        return
    if engine is Engine.MEMCACHED and (major, minor) == (1, 6) and patch > 22 and patch != 999:
        return  # a 1.6 patch newer than this catalog
    raise fail(
        "engine_version", version, f"ElastiCache node-based caches offer {engine.value} {_offered(engine)}"
    )


def _parse(version: str) -> tuple[int, int, int]:
    """``"7.0"`` -> (7, 0, 999): an unspecified part means "the latest patch ElastiCache has"."""
    m = _VERSION_RE.match(version)
    if not m:
        raise fail("engine_version", version, "must look like '8.1', '7.0', '6.x', '6.2.6' or '1.6.22'")
    major = int(m.group(1))
    minor = 999 if m.group(2) in (None, "x") else int(m.group(2))
    patch = 999 if m.group(3) is None else int(m.group(3))
    return major, minor, patch


def _family(engine: Engine, v: tuple[int, int, int]) -> str:
    major, minor, _ = v
    if engine is Engine.VALKEY:
        return f"valkey{major}"
    if engine is Engine.MEMCACHED:
        return f"memcached1.{min(minor, 6)}" if major == 1 else f"memcached{major}"
    if major >= 7:
        return "redis7"
    if major == 6:
        return "redis6.x"
    return f"redis{major}.{minor}"


@dataclass(frozen=True)
class EngineVersion:
    """An engine and version, with the parameter-group family and features that version has.

    Use the constants (``EngineVersion.VALKEY_8_1``) or ``EngineVersion.of(Engine.REDIS, "7.1")`` for any other
    version ElastiCache offers; the family and feature set are derived from the version number.
    """

    engine: Engine
    #: The ``EngineVersion`` CloudFormation receives (e.g. ``"8.1"``).
    version: str
    #: The parameter-group family (e.g. ``"valkey8"``, ``"redis7"``, ``"redis6.x"``, ``"memcached1.6"``).
    family: str
    _parts: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    VALKEY_7_2: ClassVar[EngineVersion]
    VALKEY_8_0: ClassVar[EngineVersion]
    VALKEY_8_1: ClassVar[EngineVersion]
    VALKEY_8_2: ClassVar[EngineVersion]
    VALKEY_9_0: ClassVar[EngineVersion]
    VALKEY_9_1: ClassVar[EngineVersion]
    REDIS_6_2: ClassVar[EngineVersion]
    REDIS_7_0: ClassVar[EngineVersion]
    REDIS_7_1: ClassVar[EngineVersion]
    MEMCACHED_1_6_12: ClassVar[EngineVersion]
    MEMCACHED_1_6_17: ClassVar[EngineVersion]
    MEMCACHED_1_6_22: ClassVar[EngineVersion]

    @classmethod
    def of(cls, engine: Engine | str, version: str, *, family: str | None = None) -> EngineVersion:
        """Any engine version ElastiCache offers.

        :param engine: ``Engine`` member or ``"valkey"``/``"redis"``/``"memcached"``.
        :param version: the version string; a token is accepted only together with ``family``.
        :param family: parameter-group family. Default: derived from ``version``.
        """
        eng = Engine.parse(engine)
        if is_unresolved(version):
            if family is None:
                raise fail("engine_version", version, "a token version needs an explicit family=")
            return cls(eng, version, family, None)
        parts = _parse(str(version))
        if parts < MIN_VERSION[eng]:
            low = ".".join(str(p) for p in MIN_VERSION[eng])
            raise fail("engine_version", version, f"ElastiCache node-based caches offer {eng.value} {low} or later")
        check_offered(eng, str(version), parts)
        derived = _family(eng, parts)
        if family is not None and family != derived:
            raise fail("family", family, f"{eng.value} {version} uses parameter-group family {derived!r}")
        return cls(eng, str(version), derived, parts)

    # -- features -----------------------------------------------------------------------------------------
    def _at_least(self, *v: int) -> bool:
        if self._parts is None:
            return True  # unresolved: let CloudFormation decide
        want = (*v, 0, 0)[:3]
        return self._parts >= want

    @property
    def is_redis_compatible(self) -> bool:
        """Valkey or Redis OSS."""
        return self.engine.is_redis_compatible

    @property
    def supports_transit_encryption(self) -> bool:
        """TLS in transit: Valkey; Redis OSS 3.2.6 or 4.0.10+; Memcached 1.6.12+."""
        if self.engine is Engine.MEMCACHED:
            return self._at_least(1, 6, 12)
        if self.engine is Engine.REDIS and self._parts is not None and (4, 0, 0) <= self._parts < (4, 0, 10):
            return False
        return self._at_least(3, 2, 6)

    @property
    def supports_transit_encryption_mode(self) -> bool:
        """``TransitEncryptionMode`` (``preferred`` for migrations): Valkey, Redis OSS 7.0.5+."""
        return self.engine is Engine.VALKEY or (self.engine is Engine.REDIS and self._at_least(7, 0, 5))

    @property
    def supports_auth_token(self) -> bool:
        """Redis AUTH token: Valkey and Redis OSS with TLS support; not Memcached."""
        return self.is_redis_compatible and self.supports_transit_encryption

    @property
    def supports_rbac(self) -> bool:
        """Role-based access control (user groups): Valkey, Redis OSS 6.0+."""
        return self.engine is Engine.VALKEY or (self.engine is Engine.REDIS and self._at_least(6))

    @property
    def supports_iam_auth(self) -> bool:
        """IAM authentication: Valkey, Redis OSS 7.0+."""
        return self.engine is Engine.VALKEY or (self.engine is Engine.REDIS and self._at_least(7))

    @property
    def supports_data_tiering(self) -> bool:
        """Data tiering (r6gd nodes): Valkey, Redis OSS 6.2+."""
        return self.engine is Engine.VALKEY or (self.engine is Engine.REDIS and self._at_least(6, 2))

    @property
    def supports_global_datastore(self) -> bool:
        """Global Datastore: Valkey, Redis OSS 5.0.6+."""
        return self.engine is Engine.VALKEY or (self.engine is Engine.REDIS and self._at_least(5, 0, 6))

    @property
    def supports_cluster_mode(self) -> bool:
        """Cluster mode (sharding): Valkey, Redis OSS 3.2+."""
        return self.is_redis_compatible and self._at_least(3, 2)

    @property
    def supports_serverless(self) -> bool:
        """Serverless caches: Valkey 7.2+, Redis OSS 7.1+, Memcached 1.6+."""
        if self.engine is Engine.REDIS:
            return self._at_least(7, 1)
        if self.engine is Engine.MEMCACHED:
            return self._at_least(1, 6)
        return True

    @property
    def supports_durability(self) -> bool:
        """Durability (Multi-AZ transactional log, ``Durability`` sync/async): Valkey 9.0+.

        Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Durability.Limitations.html
        """
        return self.engine is Engine.VALKEY and self._at_least(9, 0)

    @property
    def supports_cluster_mode_databases(self) -> bool:
        """Numbered databases (``SELECT 0``-``15``) in cluster mode: Valkey 9.0+.

        Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html (ElastiCache 9.0)
        """
        return self.engine is Engine.VALKEY and self._at_least(9, 0)

    @property
    def supports_hash_field_expiration(self) -> bool:
        """TTLs on individual hash fields (``HEXPIRE``...): Valkey 9.0+ (same source)."""
        return self.engine is Engine.VALKEY and self._at_least(9, 0)

    @property
    def supports_vector_search(self) -> bool:
        """Vector search on node-based caches: Valkey 8.2+; full-text and hybrid search: Valkey 9.0+ (same source)."""
        return self.engine is Engine.VALKEY and self._at_least(8, 2)

    @property
    def supports_ipv6(self) -> bool:
        """IPv6 / dual-stack networking: Valkey 7.2+, Redis OSS 6.2+, Memcached 1.6.6+ (Nitro nodes).
        https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/network-type.html"""
        if self.engine is Engine.REDIS:
            return self._at_least(6, 2)
        if self.engine is Engine.MEMCACHED:
            return self._at_least(1, 6, 6)
        return self._at_least(7, 2)

    @property
    def log_types(self) -> frozenset[str]:
        """Log types that can be delivered: ``slow-log`` (Redis OSS 6.0+), ``engine-log`` (6.2+), Valkey both."""
        if self.engine is Engine.MEMCACHED:
            return frozenset()
        types = set()
        if self.engine is Engine.VALKEY or self._at_least(6):
            types.add("slow-log")
        if self.engine is Engine.VALKEY or self._at_least(6, 2):
            types.add("engine-log")
        return frozenset(types)

    @property
    def max_nodes_per_cluster(self) -> int:
        """Most nodes (or shards) in one cluster-mode group: 500 (Valkey, Redis OSS 5.0.6+), else 250."""
        return 500 if self.supports_global_datastore else 250

    def __str__(self) -> str:
        return f"{self.engine.value} {self.version}"


EngineVersion.VALKEY_7_2 = EngineVersion.of(Engine.VALKEY, "7.2")
EngineVersion.VALKEY_8_0 = EngineVersion.of(Engine.VALKEY, "8.0")
EngineVersion.VALKEY_8_1 = EngineVersion.of(Engine.VALKEY, "8.1")
EngineVersion.VALKEY_8_2 = EngineVersion.of(Engine.VALKEY, "8.2")
EngineVersion.VALKEY_9_0 = EngineVersion.of(Engine.VALKEY, "9.0")
EngineVersion.VALKEY_9_1 = EngineVersion.of(Engine.VALKEY, "9.1")
EngineVersion.REDIS_6_2 = EngineVersion.of(Engine.REDIS, "6.2")
EngineVersion.REDIS_7_0 = EngineVersion.of(Engine.REDIS, "7.0")
EngineVersion.REDIS_7_1 = EngineVersion.of(Engine.REDIS, "7.1")
EngineVersion.MEMCACHED_1_6_12 = EngineVersion.of(Engine.MEMCACHED, "1.6.12")
EngineVersion.MEMCACHED_1_6_17 = EngineVersion.of(Engine.MEMCACHED, "1.6.17")
EngineVersion.MEMCACHED_1_6_22 = EngineVersion.of(Engine.MEMCACHED, "1.6.22")
