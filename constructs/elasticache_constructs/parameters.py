"""The parameter catalog: every parameter of each parameter-group family, with its type, allowed values or range,
whether a custom group may set it, and how a change applies.

The catalog is ``parameters.json`` beside this module (a shared contract: the local emulator reads the same file
without importing this package). Its content follows the ElastiCache user guide, "Engine specific parameters"
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html); each entry names its section.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._validation import fail, is_unresolved

CATALOG_FILE = Path(__file__).with_name("parameters.json")

_INT_RE = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of one family, as ``parameters.json`` describes it."""

    name: str
    family: str
    #: ``string``, ``integer`` or ``boolean``.
    type: str
    modifiable: bool
    #: ``immediate`` or ``requires-reboot``.
    change_type: str
    source: str
    allowed: tuple[str, ...] | None = None
    min: int | None = None
    max: int | None = None
    #: ``(low, high)`` pairs (``high`` ``None`` = unbounded) the value must fall in one of.
    ranges: tuple[tuple[int, int | None], ...] | None = None
    #: Characters a string value may consist of.
    charset: str | None = None
    note: str | None = None

    def describe_allowed(self) -> str:
        """What the parameter accepts, as the error message says it."""
        if self.allowed is not None:
            return "allowed: " + ", ".join(repr(a) for a in self.allowed)
        if self.ranges is not None:
            parts = [
                (str(lo) if hi == lo else f"{lo} or more" if hi is None else f"{lo}-{hi}") for lo, hi in self.ranges
            ]
            return "allowed: " + " or ".join(parts)
        if self.type == "integer":
            if self.min is not None and self.max is not None:
                return f"allowed: a whole number from {self.min} to {self.max}"
            if self.min is not None:
                return f"allowed: a whole number of at least {self.min}"
            if self.max is not None:
                return f"allowed: a whole number of at most {self.max}"
            return "allowed: a whole number"
        if self.charset is not None:
            return f"allowed: any combination of the characters {self.charset!r} (or empty)"
        return "allowed: a string"

    def check(self, value: str, prop: str) -> None:
        """Reject a value outside the parameter's type, allowed values or range (the error names them)."""
        if is_unresolved(value):
            return
        if not self.modifiable:
            why = f" ({self.note})" if self.note else ""
            raise fail(prop, value, f"{self.name!r} is not modifiable in {self.family} parameter groups{why}")
        if self.type == "integer":
            if not _INT_RE.match(value):
                raise fail(prop, value, self.describe_allowed())
            number = int(value)
            if self.ranges is not None:
                if not any(lo <= number and (hi is None or number <= hi) for lo, hi in self.ranges):
                    raise fail(prop, value, self.describe_allowed())
            elif (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
                raise fail(prop, value, self.describe_allowed())
            return
        if self.allowed is not None and value not in self.allowed:
            raise fail(prop, value, self.describe_allowed())
        if self.charset is not None and any(ch not in self.charset for ch in value):
            raise fail(prop, value, self.describe_allowed())


@functools.cache
def _catalog() -> dict[str, dict[str, ParameterSpec]]:
    raw: dict[str, Any] = json.loads(CATALOG_FILE.read_text())
    out: dict[str, dict[str, ParameterSpec]] = {}
    for family, params in raw["families"].items():
        out[family] = {
            name: ParameterSpec(
                name=name,
                family=family,
                type=d["type"],
                modifiable=d["modifiable"],
                change_type=d["change_type"],
                source=d["source"],
                allowed=tuple(d["allowed"]) if "allowed" in d else None,
                min=d.get("min"),
                max=d.get("max"),
                ranges=tuple((r[0], r[1]) for r in d["ranges"]) if "ranges" in d else None,
                charset=d.get("charset"),
                note=d.get("note"),
            )
            for name, d in params.items()
        }
    return out


def families() -> list[str]:
    """The families the catalog covers."""
    return list(_catalog())


def parameters_of(family: str) -> dict[str, ParameterSpec]:
    """Every cataloged parameter of ``family`` (empty for a family the catalog does not cover)."""
    return dict(_catalog().get(family, {}))


def spec(family: str, name: str, prop: str = "parameters") -> ParameterSpec | None:
    """The parameter ``name`` of ``family``; an unknown name is an error suggesting the closest names.

    Returns ``None`` for a family the catalog does not cover (nothing to check against).
    """
    known = _catalog().get(family)
    if known is None:
        return None
    found = known.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise fail(
        f"{prop} key",
        name,
        f"{family} has no parameter {name!r}; {hint}see {known[next(iter(known))].source.split('#')[0]} "
        "(for a parameter newer than this catalog use unchecked_parameters=)",
    )


def check_parameter(family: str, name: str, value: str, prop: str = "parameters") -> None:
    """Check one parameter against the catalog: known name, modifiable, allowed value or range."""
    found = spec(family, name, prop)
    if found is not None:
        found.check(value, f"{prop}[{name!r}]")


__all__ = ["CATALOG_FILE", "ParameterSpec", "check_parameter", "families", "parameters_of", "spec"]
