"""``plan --against``: two assemblies, nothing running; the `how` of each change kind and exit 3 on data loss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from elasticache_local.cli import main
from elasticache_local.reconcile import diff_templates, loses_data

from .conftest import engine
from .reconcile_support import props, variant

STACK, GROUP, PARAMS = "Leaderboard", "BoardGroup55EE66FF", "BoardParams11AA22BB"


def _set(**values: Any) -> Any:
    def change(t: dict[str, Any]) -> None:
        props(t, STACK, GROUP).update(values)
    return change


def _param(name: str, value: str) -> Any:
    def change(t: dict[str, Any]) -> None:
        props(t, STACK, PARAMS)["Properties"][name] = value
    return change


def _drop_group(snapshot: bool) -> Any:
    def change(t: dict[str, Any]) -> None:
        del t[STACK]["Resources"][GROUP]
    return change


@pytest.mark.parametrize(("change", "prop", "how", "action"), [
    (_set(NumNodeGroups=6), "NumNodeGroups", "online", "update"),
    (_set(CacheNodeType="cache.r7g.large"), "CacheNodeType", "rolling", "update"),
    (_set(EngineVersion="7.2"), "EngineVersion", "rolling", "update"),
    pytest.param(_set(Engine="valkey"), "Engine", "rolling", "update", marks=pytest.mark.skipif(
        engine("redis") == "valkey", reason="ELASTICACHE_TEST_ENGINE=valkey: the template already asks for valkey")),
    (_set(TransitEncryptionMode="preferred"), "TransitEncryptionMode", "online", "update"),
    (_set(Port=6380), "Port", "replacement", "replace"),
    (_set(AtRestEncryptionEnabled=True), "AtRestEncryptionEnabled", "replacement", "replace"),
    (_param("maxmemory-policy", "allkeys-lru"), "Properties.maxmemory-policy", "online", "update"),
    (_param("databases", "32"), "Properties.databases", "reboot-pending", "update"),
])
def test_each_change_kind_gets_its_how(tmp_path: Path, change: Any, prop: str, how: str, action: str) -> None:
    old, new = variant(tmp_path, "cluster3", "old", lambda _t: None), variant(tmp_path, "cluster3", "new", change)
    out: list[str] = []
    code = _run(["plan", "--assembly", str(new), "--against", str(old), "--json"], out)
    doc = json.loads("\n".join(out))
    (entry,) = doc["changes"]
    assert entry["action"] == action and entry["logical_id"] in (GROUP, PARAMS)
    assert [(p["name"], p["how"]) for p in entry["properties"]] == [(prop, how)]
    assert code == (3 if action == "replace" else 0)


def _run(argv: list[str], out: list[str]) -> int:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    out += buf.getvalue().splitlines()
    return code


def test_no_change_is_an_empty_plan(tmp_path: Path) -> None:
    a = variant(tmp_path, "cluster3", "a", lambda _t: None)
    out: list[str] = []
    assert _run(["plan", "--assembly", str(a), "--against", str(a)], out) == 0
    assert out == ["plan: no changes"]


@pytest.mark.parametrize(("policy", "loses"), [(None, True), ("Snapshot", False), ("Retain", True)])
def test_deleting_a_group_loses_data_unless_a_final_snapshot_is_kept(tmp_path: Path, policy: str | None,
                                                                     loses: bool) -> None:
    def with_policy(t: dict[str, Any]) -> None:
        if policy:
            t[STACK]["Resources"][GROUP]["DeletionPolicy"] = policy
    old = variant(tmp_path, "cluster3", "old", with_policy)
    new = variant(tmp_path, "cluster3", "new", _drop_group(False))
    templates = {d: {STACK: json.loads((d / f"{STACK}.template.json").read_text())} for d in (old, new)}
    changes = diff_templates(templates[old], templates[new])
    assert [(c.logical_id, c.action) for c in changes] == [(GROUP, "delete")]
    assert loses_data(changes) is loses
    out: list[str] = []
    assert _run(["plan", "--assembly", str(new), "--against", str(old)], out) == (3 if loses else 0)
    assert any("delete" in line and GROUP in line for line in out)


def test_text_plan_names_property_old_new_and_how(tmp_path: Path) -> None:
    old = variant(tmp_path, "cluster3", "old", lambda _t: None)
    new = variant(tmp_path, "cluster3", "new", _set(Port=6380))
    out: list[str] = []
    assert _run(["plan", "--assembly", str(new), "--against", str(old)], out) == 3
    assert any(f"{STACK}/{GROUP}" in line and "Port: (unset) -> 6380 (replacement (data lost))" in line
               for line in out), out


def test_plan_piped_into_a_reader_that_has_gone_exits_quietly(tmp_path: Path) -> None:
    """``plan | head -1`` and the like: the reader closes early, the command ends 0 without a traceback."""
    import os
    import subprocess
    import sys

    old = variant(tmp_path, "cluster3", "old", lambda _t: None)
    new = variant(tmp_path, "cluster3", "new", _set(NumNodeGroups=6))
    read_end, write_end = os.pipe()
    os.close(read_end)  # gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).parents[2] / "scripts" / "local.py"), "plan", "--assembly", str(new),
             "--against", str(old)], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")
