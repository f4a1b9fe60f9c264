"""The parameter catalog (parameters.json): its shared-contract shape, the families it covers, and the checks it
drives (unknown names with a suggestion, values outside the allowed set or range, non-modifiable parameters),
with the valid side of every limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from elasticache_constructs import EngineVersion, ValidationError
from elasticache_constructs.engine import OFFERED_EXACT, OFFERED_MINORS, Engine
from elasticache_constructs.parameters import CATALOG_FILE, ParameterSpec, check_parameter, parameters_of, spec

RAW: dict[str, Any] = json.loads(CATALOG_FILE.read_text())


def test_catalog_follows_the_shared_contract() -> None:
    assert set(RAW) >= {"families"}
    for family, params in RAW["families"].items():
        assert params, family
        for name, d in params.items():
            where = f"{family}/{name}"
            assert d["type"] in ("string", "integer", "boolean"), where
            assert isinstance(d["modifiable"], bool), where
            assert d["change_type"] in ("immediate", "requires-reboot"), where
            assert d["source"].startswith("https://docs.aws.amazon.com/AmazonElastiCache/"), where
            assert set(d) <= {"type", "allowed", "min", "max", "ranges", "charset", "modifiable", "change_type",
                              "source", "note"}, where
            if "min" in d and "max" in d:
                assert d["min"] <= d["max"], where


def _offered_versions() -> list[EngineVersion]:
    out = []
    for engine in Engine:
        out += [EngineVersion.of(engine, f"{a}.{b}") for a, b in OFFERED_MINORS[engine]]
        out += [EngineVersion.of(engine, ".".join(map(str, v))) for v in OFFERED_EXACT[engine]]
    return out


@pytest.mark.parametrize("version", _offered_versions(), ids=str)
def test_every_offered_version_has_a_cataloged_family(version: EngineVersion) -> None:
    assert parameters_of(version.family), f"{version} -> {version.family} is not in parameters.json"


def test_families_carry_what_their_engine_added() -> None:
    # Redis OSS 6.x added ACLs, Redis OSS 7 listpacks and sharded pub/sub; Valkey 7.2 = Redis OSS 7 parameters.
    assert "acllog-max-len" in parameters_of("redis6.x") and "acllog-max-len" not in parameters_of("redis5.0")
    assert "hash-max-listpack-entries" in parameters_of("redis7")
    assert "lua-replicate-commands" in parameters_of("redis6.x") and "lua-replicate-commands" not in parameters_of(
        "redis7"
    )
    assert set(parameters_of("valkey7")) == set(parameters_of("redis7"))
    assert "max_item_size" in parameters_of("memcached1.6") and "maxmemory-policy" not in parameters_of("memcached1.6")
    assert spec("redis7", "databases").change_type == "requires-reboot"  # type: ignore[union-attr]
    assert spec("valkey8", "maxmemory-policy").change_type == "immediate"  # type: ignore[union-attr]


INVALID = [
    # unknown names suggest the close match
    ("valkey8", "maxmemory-sample", "5",
     r"parameters key: got 'maxmemory-sample'; valkey8 has no parameter 'maxmemory-sample'; did you mean "
     r"'maxmemory-samples'"),
    ("redis7", "notify-keyspace-event", "Ex", r"did you mean 'notify-keyspace-events'"),
    ("memcached1.6", "max-item-size", "2097152", r"memcached1.6 has no parameter 'max-item-size'; did you mean "
                                                 r"'max_item_size'"),
    ("redis6.x", "hash-max-listpack-entries", "512", r"redis6.x has no parameter 'hash-max-listpack-entries'"),
    ("redis5.0", "acllog-max-len", "128", r"redis5.0 has no parameter 'acllog-max-len'"),
    ("valkey8", "zzz-unheard-of", "1", r"valkey8 has no parameter 'zzz-unheard-of'; see https://docs.aws.amazon.com"),
    # values outside the allowed set
    ("valkey8", "activedefrag", "true", r"parameters\['activedefrag'\]: got 'true'; allowed: 'yes', 'no'"),
    ("redis7", "cluster-preferred-endpoint-type", "hostname",
     r"parameters\['cluster-preferred-endpoint-type'\]: got 'hostname'; allowed: 'ip', 'tls-dynamic'"),
    ("memcached1.6", "binding_protocol", "udp", r"got 'udp'; allowed: 'ascii', 'binary', 'auto'"),
    ("memcached1.6", "cas_disabled", "yes", r"parameters\['cas_disabled'\]: got 'yes'; allowed: '0', '1'"),
    ("valkey8", "notify-keyspace-events", "KEq",
     r"got 'KEq'; allowed: any combination of the characters 'KEg\$lshzxeAtmnd'"),
    # ranges
    ("valkey8", "timeout", "5", r"parameters\['timeout'\]: got '5'; allowed: 0 or 20 or more"),
    ("valkey8", "timeout", "-1", r"allowed: 0 or 20 or more"),
    ("redis7", "reserved-memory-percent", "101", r"got '101'; allowed: a whole number from 0 to 100"),
    ("redis7", "repl-backlog-size", "16383", r"got '16383'; allowed: a whole number of at least 16384"),
    ("redis7", "active-defrag-cycle-max", "76", r"allowed: a whole number from 1 to 75"),
    ("redis6.x", "acllog-max-len", "0", r"allowed: a whole number from 1 to 10000"),
    ("redis6.x", "active-expire-effort", "11", r"allowed: a whole number from 1 to 10"),
    ("valkey8", "maxmemory-samples", "0", r"allowed: a whole number of at least 1"),
    ("valkey8", "maxmemory-samples", "ten", r"got 'ten'; allowed: a whole number of at least 1"),
    ("memcached1.6", "max_item_size", "1048575", r"allowed: a whole number from 1048576 to 134217728"),
    ("memcached1.6", "max_item_size", "134217729", r"allowed: a whole number from 1048576 to 134217728"),
    ("memcached1.4", "chunk_size", "1001", r"allowed: a whole number from 1 to 1000"),
    ("memcached1.6", "slab_automove", "3", r"allowed: a whole number from 0 to 2"),
    # not modifiable
    ("valkey8", "appendonly", "yes",
     r"parameters\['appendonly'\]: got 'yes'; 'appendonly' is not modifiable in valkey8 parameter groups "
     r"\(ElastiCache does not support AOF"),
    ("redis7", "maxclients", "1000", r"'maxclients' is not modifiable in redis7 parameter groups"),
    ("redis7", "repl-timeout", "60", r"'repl-timeout' is not modifiable"),
    ("valkey9", "lua-time-limit", "5000", r"'lua-time-limit' is not modifiable"),
    ("memcached1.6", "config_max", "16", r"'config_max' is not modifiable"),
]


@pytest.mark.parametrize(("family", "name", "value", "message"), INVALID, ids=[f"{c[0]}-{c[1]}={c[2]}" for c in INVALID])
def test_invalid_parameters(family: str, name: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_parameter(family, name, value)


def _valid_edges(s: ParameterSpec) -> list[str]:
    """Values on the valid side of every limit of ``s``."""
    if s.allowed is not None:
        return list(s.allowed)
    if s.ranges is not None:
        return [str(lo) for lo, _ in s.ranges] + [str(hi) for _, hi in s.ranges if hi is not None]
    if s.type == "integer":
        edges = [str(v) for v in (s.min, s.max) if v is not None]
        return edges or ["0", "1000"]
    if s.charset is not None:
        return ["", s.charset]
    return ["any-value"]


_EDGES = [
    (family, name, value)
    for family in RAW["families"]
    for name, s in parameters_of(family).items()
    if s.modifiable
    for value in _valid_edges(s)
]


@pytest.mark.parametrize(("family", "name", "value"), _EDGES, ids=[f"{f}-{n}={v}" for f, n, v in _EDGES])
def test_valid_side_of_every_limit_is_accepted(family: str, name: str, value: str) -> None:
    check_parameter(family, name, value)


def test_unknown_family_is_not_checked() -> None:
    assert spec("redis2.8", "anything") is None
    check_parameter("redis2.8", "anything", "x")
