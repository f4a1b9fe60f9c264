"""``plan`` output: one line per property change (text) or the ``--json`` document."""

from __future__ import annotations

import json
from typing import Any

from .diff import ResourceChange

MAX_VALUE = 60


def _value(v: Any) -> str:
    text = "(unset)" if v is None else v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _how(how: str) -> str:
    return "replacement (data lost)" if how == "replacement" else how


def render_text(changes: list[ResourceChange]) -> list[str]:
    """Human-readable plan lines (``no changes`` when empty)."""
    if not changes:
        return ["plan: no changes"]
    lines = []
    for c in changes:
        where = f"{c.stack}/{c.logical_id} ({c.resource_type})"
        if c.action == "create":
            lines.append(f"  create   {where}: create")
        elif c.action == "delete":
            why = "final snapshot kept" if c.final_snapshot else (
                "data lost: no final snapshot" if c.loses_data else "no data")
            lines.append(f"  delete   {where}: delete ({why})")
        else:
            for p in c.properties:
                how = _how(p.how) if c.action == "update" or p.how == "replacement" else f"{p.how}, replaced anyway"
                lines.append(f"  {c.action:<8} {where} {p.name}: {_value(p.old)} -> {_value(p.new)} ({how})")
    return lines


def render_json(changes: list[ResourceChange]) -> str:
    """``{"changes": [...]}`` as documented in the README."""
    return json.dumps({"changes": [c.to_json() for c in changes]}, indent=1, default=str)
