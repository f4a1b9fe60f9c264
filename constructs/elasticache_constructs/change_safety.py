"""Change safety: how a change to each property of each ElastiCache resource applies, and the known traps the
CloudFormation schema does not show.

The data lives in ``change_safety.json`` beside this module (read by the local emulator's ``plan`` too, without
importing this package; keep its path and format). Each trap carries its source URL there. This module gives
typed access to it, the construct-time checks (``warn``: a synth warning naming the fix) and ``check_update``,
which compares a deployed template with a new one and reports replacements and update-time traps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_cdk import Annotations
from constructs import IConstruct

from ._validation import ValidationError

TABLE_PATH = Path(__file__).with_name("change_safety.json")
#: How a change applies (the table's ``how`` values).
HOWS = ("online", "rolling", "reboot-pending", "per-parameter", "replacement")
#: Resources whose replacement loses data or endpoints clients use.
STATEFUL_TYPES = frozenset({
    "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache",
    "AWS::ElastiCache::GlobalReplicationGroup",
})


@dataclass(frozen=True)
class PropertyChange:
    """How a change to one property applies."""

    how: str
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Trap:
    """A known problem with a fix (see ``change_safety.json``)."""

    id: str
    resource_type: str
    properties: tuple[str, ...]
    severity: str
    detect: str
    summary: str
    fix: str
    source: str

    def message(self, detail: str) -> str:
        """``<detail>: <summary> Fix: <fix> (<source>)``."""
        return f"{detail}: {self.summary} Fix: {self.fix} ({self.source})"


@dataclass(frozen=True)
class Finding:
    """One change between two templates: the property, how it applies, and the trap it hits (if any)."""

    logical_id: str
    resource_type: str
    property: str
    how: str
    severity: str
    message: str
    trap: str | None = None


@cache
def table() -> dict[str, Any]:
    """The raw table (``change_safety.json``)."""
    data: dict[str, Any] = json.loads(TABLE_PATH.read_text())
    return data


def property_change(resource_type: str, prop: str) -> PropertyChange:
    """How a change to ``prop`` of ``resource_type`` applies (the resource's default when not listed)."""
    resource = table()["resources"].get(resource_type)
    if resource is None:
        raise KeyError(f"{resource_type} is not in the change-safety table")
    entry = resource["properties"].get(prop)
    if entry is None:
        return PropertyChange(how=resource["default"], source="change_safety.json default")
    return PropertyChange(how=entry["how"], source=entry["source"], note=entry.get("note"))


def how(resource_type: str, prop: str) -> str:
    """``online``, ``rolling``, ``reboot-pending``, ``per-parameter`` or ``replacement``."""
    return property_change(resource_type, prop).how


@cache
def traps() -> dict[str, Trap]:
    """Every trap by id."""
    return {
        t["id"]: Trap(
            id=t["id"], resource_type=t["resource_type"], properties=tuple(t["properties"]), severity=t["severity"],
            detect=t.get("detect", "construct"), summary=t["summary"], fix=t["fix"], source=t["source"],
        )
        for t in table()["traps"]
    }


def trap(trap_id: str) -> Trap:
    """The trap called ``trap_id``."""
    return traps()[trap_id]


def warn(scope: IConstruct, trap_id: str, detail: str) -> None:
    """Add the trap as a synth-time warning on ``scope`` (``elasticache-constructs:<trap id>``)."""
    Annotations.of(scope).add_warning_v2(f"elasticache-constructs:{trap_id}", trap(trap_id).message(detail))


def error(trap_id: str, detail: str) -> ValidationError:
    """The trap as a construct-time error."""
    return ValidationError(trap(trap_id).message(detail))


# --- comparing a deployed template with a new one ---------------------------------------------------------
def _version(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)*", value):
        return None
    return tuple(int(p) for p in value.split("."))


def _durable(value: Any) -> bool:
    return str(value).lower() in ("sync", "async")


def _is_global_member(logical_id: str, props: Mapping[str, Any], template: Mapping[str, Any]) -> bool:
    if "GlobalReplicationGroupId" in props:
        return True
    for res in template.get("Resources", {}).values():
        if res.get("Type") == "AWS::ElastiCache::GlobalReplicationGroup":
            members = res.get("Properties", {}).get("Members", [])
            if any(m.get("ReplicationGroupId") == {"Ref": logical_id} for m in members):
                return True
    return False


def _replica_counts(props: Mapping[str, Any]) -> list[Any]:
    return [ng.get("ReplicaCount") for ng in props.get("NodeGroupConfiguration") or []]


def _update_traps(
    logical_id: str, rtype: str, old: Mapping[str, Any], new: Mapping[str, Any], after: Mapping[str, Any],
    changed: set[str],
) -> list[str]:
    """Ids of the update-time traps this change of one resource hits."""
    hits: list[str] = []
    if rtype == "AWS::ElastiCache::ReplicationGroup":
        had_token, has_token = "AuthToken" in old, "AuthToken" in new
        had_groups, has_groups = bool(old.get("UserGroupIds")), bool(new.get("UserGroupIds"))
        if (had_token and has_groups and not had_groups) or (had_groups and has_token and not had_token):
            hits.append("auth-token-to-user-group")
        if "CacheNodeType" in changed and _is_global_member(logical_id, new, after):
            hits.append("global-member-node-type")
        if "Durability" in changed and _durable(old.get("Durability")) != _durable(new.get("Durability")):
            hits.append("durability-create-only")
        if changed & {"SnapshotName", "SnapshotArns"}:
            hits.append("restore-source-create-only")
        if "NodeGroupConfiguration" in changed and old.get("NodeGroupConfiguration") and \
                _replica_counts(old)[: len(_replica_counts(new))] != _replica_counts(new)[: len(_replica_counts(old))]:
            hits.append("replicas-with-node-group-configuration")
        if "NumCacheClusters" in changed and not old.get("AutomaticFailoverEnabled") and new.get(
            "AutomaticFailoverEnabled"
        ):
            hits.append("add-first-replica-with-failover")
        if "PreferredCacheClusterAZs" in changed and "NumCacheClusters" in changed:
            hits.append("preferred-azs-fix-replica-count")
        if not old.get("TransitEncryptionEnabled") and new.get("TransitEncryptionEnabled") and str(
            new.get("TransitEncryptionMode", "required")
        ).lower() != "preferred":
            hits.append("enable-tls-in-one-step")
        if str(old.get("ClusterMode", "disabled")).lower() == "disabled" and str(
            new.get("ClusterMode", "disabled")
        ).lower() == "enabled" and "ClusterMode" in changed:
            hits.append("cluster-mode-step")
        if changed and str(old.get("ClusterMode", "")).lower() == "enabled" and old.get("ReplicasPerNodeGroup") == 0:
            hits.append("cluster-mode-zero-replicas")
    if "EngineVersion" in changed and rtype in ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"):
        before_v, after_v = _version(old.get("EngineVersion")), _version(new.get("EngineVersion"))
        if before_v and after_v and after_v < before_v:
            hits.append("engine-downgrade")
    if rtype == "AWS::ElastiCache::CacheCluster" and "NumCacheNodes" in changed and not any(
        k in d for d in (old, new) for k in ("PreferredAvailabilityZone", "PreferredAvailabilityZones")
    ):
        hits.append("memcached-nodes-without-azs")
    return hits


def check_update(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Finding]:
    """Compare a deployed template with a new one: one ``Finding`` per changed property of every ElastiCache
    resource kept under the same logical id (``how`` from the table; severity ``error`` for a replacement of a
    stateful resource or an update the service refuses, ``warning`` for other replacements and traps, ``info``
    otherwise), plus one per trap hit."""
    findings: list[Finding] = []
    old_resources = before.get("Resources", {})
    for logical_id, res in after.get("Resources", {}).items():
        rtype = res.get("Type", "")
        prior = old_resources.get(logical_id)
        if rtype not in table()["resources"] or prior is None or prior.get("Type") != rtype:
            continue
        old, new = prior.get("Properties", {}), res.get("Properties", {})
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        for prop in sorted(changed):
            change = property_change(rtype, prop)
            if change.how == "replacement":
                severity = "error" if rtype in STATEFUL_TYPES else "warning"
                message = f"{logical_id}.{prop} changed: replacement ({change.note or change.source})"
            else:
                severity, message = "info", f"{logical_id}.{prop} changed: {change.how}"
            findings.append(Finding(logical_id, rtype, prop, change.how, severity, message))
        for trap_id in _update_traps(logical_id, rtype, old, new, after, changed):
            t = trap(trap_id)
            prop = next((p for p in t.properties if p in changed), t.properties[0])
            findings.append(
                Finding(logical_id, rtype, prop, property_change(rtype, prop).how, t.severity,
                        t.message(f"{logical_id}.{prop}"), trap=trap_id)
            )
    return findings


__all__ = [
    "HOWS",
    "TABLE_PATH",
    "Finding",
    "PropertyChange",
    "Trap",
    "check_update",
    "error",
    "how",
    "property_change",
    "table",
    "trap",
    "traps",
    "warn",
]
