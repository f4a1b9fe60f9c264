"""The node-type catalog and NodeType.of()."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Token

from elasticache_constructs import NodeType, ValidationError


def test_catalog_entries_carry_the_documented_specs() -> None:
    r7g = NodeType.of("cache.r7g.large")
    assert r7g is NodeType.R7G_LARGE
    assert (r7g.memory_gib, r7g.vcpus, r7g.network) == (13.07, 2, "Up to 12.5 Gigabit")
    assert r7g.global_datastore and not r7g.data_tiering
    assert NodeType.R5_XLARGE.memory_gib == 26.32  # the guide's feed example node
    assert NodeType.M5_LARGE.memory_gib == 6.38  # the guide's rate-limiter example node
    assert NodeType.R6GD_XLARGE.data_tiering and NodeType.R6GD_XLARGE.ssd_gib == 99.33
    assert not NodeType.T4G_MICRO.global_datastore
    assert NodeType.M7G_16XLARGE.network == "30 Gigabit"


def test_catalog_is_sorted_by_memory_and_complete_for_current_families() -> None:
    cat = NodeType.catalog()
    memories = [n.memory_gib or 0 for n in cat]
    assert memories == sorted(memories)
    families = {n.family for n in cat}
    assert {"t4g", "m7g", "r7g", "r6gd", "c7gn", "m5", "r5"} <= families


def test_newer_type_with_its_specification_is_accepted() -> None:
    r8g = NodeType.of("cache.r8g.large", memory_gib=13.07, vcpus=2, global_datastore=True)
    assert r8g.name == "cache.r8g.large" and r8g.memory_gib == 13.07 and r8g.is_known


def test_token_name_is_accepted_with_unknown_spec() -> None:
    token = Token.as_string({"Ref": "NodeTypeParam"})
    nt = NodeType.of(token)
    assert not nt.is_known


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("cache.r7g.larg", {}, r"node_type: got 'cache.r7g.larg'; unknown ElastiCache node type; did you mean cache.r7g.large"),
        ("cache.x99.large", {}, r"unknown ElastiCache node type; .*known families: c7gn, m5, m6g"),
        ("r7g.large", {}, r"must look like 'cache.<family>.<size>'"),
        ("cache.r8g.large", {"memory_gib": 0}, r"memory_gib: got 0; must be greater than 0"),
    ],
)
def test_invalid_node_types(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NodeType.of(name, **kwargs)
