"""The shared change-safety table (how each property change applies) and parameter change types.

Both files belong to the construct library (``constructs/elasticache_constructs``): one source for the
construct-time traps and for the emulator's ``plan``. They are read as JSON, without importing
``elasticache_constructs`` (its ``__init__`` loads aws_cdk, about a second).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

CHANGE_SAFETY_FILE = "change_safety.json"
PARAMETERS_FILE = "parameters.json"
HOWS = ("online", "rolling", "reboot-pending", "per-parameter", "replacement")
#: Until parameters.json lists a parameter: the ones ElastiCache applies only after a reboot (cluster mode
#: disabled) or not at all on a running cluster (cluster mode enabled), per
#: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/nodes.rebooting.html
REBOOT_PARAMETERS_FALLBACK = frozenset({"activerehashing", "databases"})


def package_dir() -> Path:
    """The ``elasticache_constructs`` package directory (found without importing it)."""
    spec = importlib.util.find_spec("elasticache_constructs")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[3] / "constructs" / "elasticache_constructs"


@functools.cache
def change_safety() -> dict[str, Any]:
    """The parsed ``change_safety.json``."""
    data: dict[str, Any] = json.loads((package_dir() / CHANGE_SAFETY_FILE).read_text())
    return data


@functools.cache
def parameter_catalog() -> dict[str, Any]:
    """The parsed ``parameters.json`` (empty until the construct library ships it)."""
    path = package_dir() / PARAMETERS_FILE
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def how(resource_type: str, prop: str) -> str:
    """How a change of ``prop`` of ``resource_type`` applies (the resource's default for unlisted ones)."""
    entry = change_safety().get("resources", {}).get(resource_type)
    if entry is None:
        return "online"
    spec = entry.get("properties", {}).get(prop)
    return str(spec["how"]) if spec else str(entry.get("default", "online"))


def parameter_change_type(family: str, name: str) -> str:
    """``immediate`` or ``requires-reboot`` for parameter ``name`` of parameter group family ``family``."""
    fam = parameter_catalog().get("families", {}).get(family, {})
    spec = fam.get(name)
    if isinstance(spec, dict) and spec.get("change_type") in ("immediate", "requires-reboot"):
        return str(spec["change_type"])
    return "requires-reboot" if name.lower() in REBOOT_PARAMETERS_FALLBACK else "immediate"


def parameter_how(family: str, name: str) -> str:
    """``online`` or ``reboot-pending``: what ``plan`` prints for a changed parameter."""
    return "reboot-pending" if parameter_change_type(family, name) == "requires-reboot" else "online"
