"""Diff two sets of templates (observed vs desired) into resource changes, classified by the change-safety table.

CloudFormation compares a resource's template properties: a changed create-only property replaces the resource
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html),
any other change updates it in place. How ElastiCache applies each in-place change comes from the shared table
(:mod:`.safety`); a parameter group's parameters are classified one by one from the parameter catalog.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from . import safety

PARAM_GROUP = "AWS::ElastiCache::ParameterGroup"
#: Resource types that hold data: replacing or deleting one (without a final snapshot) loses it.
DATA_TYPES = frozenset({
    "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache",
})
#: Resource types whose DeletionPolicy Snapshot keeps a final snapshot (Memcached has no snapshots).
SNAPSHOT_TYPES = frozenset({"AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::ServerlessCache"})
Templates = dict[str, dict[str, Any]]


@dataclass
class PropertyChange:
    """One changed property: old and new template values and how the change applies."""

    name: str
    old: Any
    new: Any
    how: str


@dataclass
class ResourceChange:
    """A created, updated, replaced or deleted resource."""

    stack: str
    logical_id: str
    resource_type: str
    action: str  # create | update | replace | delete
    properties: list[PropertyChange] = field(default_factory=list)
    #: delete only: the old template's DeletionPolicy is Snapshot (a final snapshot is kept).
    final_snapshot: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """(stack, logical id)."""
        return (self.stack, self.logical_id)

    @property
    def loses_data(self) -> bool:
        """A replacement of a data resource, or its deletion without a final snapshot."""
        if self.resource_type not in DATA_TYPES:
            return False
        return self.action == "replace" or (self.action == "delete" and not self.final_snapshot)

    def to_json(self) -> dict[str, Any]:
        """The ``plan --json`` form."""
        return {
            "stack": self.stack, "logical_id": self.logical_id, "resource_type": self.resource_type,
            "action": self.action, "properties": [asdict(p) for p in self.properties],
        }


def _resources(templates: Templates) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for stack, template in templates.items():
        for logical, res in (template.get("Resources") or {}).items():
            if isinstance(res, dict) and str(res.get("Type", "")).startswith("AWS::ElastiCache::"):
                out[(stack, logical)] = res
    return out


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _parameter_changes(family: str, old: dict[str, Any], new: dict[str, Any], prefix: str) -> list[PropertyChange]:
    out = []
    for name in sorted(set(old) | set(new)):
        if not _same(old.get(name), new.get(name)):
            out.append(PropertyChange(f"{prefix}{name}", old.get(name), new.get(name),
                                      safety.parameter_how(family, name)))
    return out


def _param_group_props(template: dict[str, Any], ref: Any) -> tuple[str, dict[str, Any]] | None:
    """(family, parameters) of the parameter group a ``CacheParameterGroupName`` value points at (same stack)."""
    if isinstance(ref, dict) and "Ref" in ref:
        res = (template.get("Resources") or {}).get(ref["Ref"]) or {}
        if res.get("Type") == PARAM_GROUP:
            props = res.get("Properties") or {}
            return str(props.get("CacheParameterGroupFamily", "")), dict(props.get("Properties") or {})
    return None


def _property_changes(rtype: str, old: dict[str, Any], new: dict[str, Any],
                      old_t: dict[str, Any], new_t: dict[str, Any]) -> list[PropertyChange]:
    old_p, new_p = old.get("Properties") or {}, new.get("Properties") or {}
    changes = []
    for name in sorted(set(old_p) | set(new_p)):
        a, b = old_p.get(name), new_p.get(name)
        if _same(a, b):
            continue
        how = safety.how(rtype, name)
        if rtype == PARAM_GROUP and name == "Properties" and how != "replacement":
            family = str(new_p.get("CacheParameterGroupFamily", ""))
            changes += _parameter_changes(family, dict(a or {}), dict(b or {}), "Properties.")
            continue
        if how == "per-parameter":  # another parameter group: classify by the parameters that differ
            pa, pb = _param_group_props(old_t, a), _param_group_props(new_t, b)
            hows = {p.how for p in _parameter_changes(pb[0], pa[1], pb[1], "")} if pa and pb else {"reboot-pending"}
            how = "reboot-pending" if "reboot-pending" in hows else "online"
        changes.append(PropertyChange(name, a, b, how))
    return changes


def diff_templates(old: Templates, new: Templates) -> list[ResourceChange]:
    """Every ElastiCache resource change from ``old`` to ``new`` (stack name -> template)."""
    before, after = _resources(old), _resources(new)
    changes: list[ResourceChange] = []
    for key, res in after.items():
        rtype = str(res.get("Type"))
        if key not in before:
            changes.append(ResourceChange(key[0], key[1], rtype, "create"))
            continue
        prev = before[key]
        if str(prev.get("Type")) != rtype:
            changes.append(ResourceChange(key[0], key[1], rtype, "replace",
                                          [PropertyChange("Type", prev.get("Type"), rtype, "replacement")]))
            continue
        props = _property_changes(rtype, prev, res, old[key[0]], new[key[0]])
        if props:
            action = "replace" if any(p.how == "replacement" for p in props) else "update"
            changes.append(ResourceChange(key[0], key[1], rtype, action, props))
    for key, res in before.items():
        if key not in after:
            rtype = str(res.get("Type"))
            changes.append(ResourceChange(key[0], key[1], rtype, "delete",
                                          final_snapshot=rtype in SNAPSHOT_TYPES
                                          and res.get("DeletionPolicy") == "Snapshot"))
    return changes


def loses_data(changes: list[ResourceChange]) -> bool:
    """True when applying ``changes`` loses data (``plan`` and ``up`` exit 3)."""
    return any(c.loses_data for c in changes)
