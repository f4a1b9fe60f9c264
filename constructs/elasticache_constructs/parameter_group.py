"""Parameter groups: engine configuration such as the eviction policy and cluster mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from aws_cdk import Resource
from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

from ._validation import fail, is_unresolved
from .engine import EngineVersion
from .eviction_policy import EvictionPolicy
from .parameters import check_parameter

#: Parameters the construct manages through dedicated props.
MANAGED_PARAMETERS = {"maxmemory-policy": "eviction_policy", "cluster-enabled": "cluster_mode"}
#: ElastiCache's eviction policy when a parameter group does not set one.
DEFAULT_EVICTION_POLICY = EvictionPolicy.VOLATILE_LRU


@runtime_checkable
class IParameterGroup(Protocol):
    """A cache parameter group a cache can use."""

    @property
    def parameter_group_name(self) -> str:
        """Name of the parameter group (a token for groups created in this app)."""
        ...

    @property
    def family(self) -> str:
        """Parameter-group family, e.g. ``valkey8``."""
        ...

    @property
    def cluster_mode(self) -> bool:
        """True when the group sets ``cluster-enabled yes``."""
        ...

    @property
    def eviction_policy(self) -> EvictionPolicy | None:
        """The ``maxmemory-policy`` the group sets, or ``None`` when unknown."""
        ...


class _ImportedParameterGroup:
    def __init__(
        self, name: str, family: str, cluster_mode: bool, eviction_policy: EvictionPolicy | None
    ) -> None:
        self.parameter_group_name = name
        self.family = family
        self.cluster_mode = cluster_mode
        self.eviction_policy = eviction_policy


def _shape(parameters: Mapping[str, str | int], prop: str) -> dict[str, str]:
    """Names are non-empty strings; values strings or whole numbers (returned as strings)."""
    out: dict[str, str] = {}
    for key, value in parameters.items():
        if not isinstance(key, str) or not key or key != key.strip():
            raise fail(f"{prop} key", key, "parameter names are non-empty strings without surrounding spaces")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise fail(f"{prop}[{key!r}]", value, "parameter values are strings or whole numbers")
        out[key] = str(value)
    return out


def validate_parameters(
    parameters: Mapping[str, str | int], engine_version: EngineVersion, *, prop: str = "parameters"
) -> dict[str, str]:
    """Check a parameter map against the family's catalog (``parameters.json``): every name exists in the family
    (an unknown name suggests the closest), is modifiable, and has an allowed value or one within its range."""
    out = _shape(parameters, prop)
    if "maxmemory-policy" in out and not is_unresolved(out["maxmemory-policy"]):
        EvictionPolicy.parse(out["maxmemory-policy"], prop=f"{prop}['maxmemory-policy']")
    if "cluster-enabled" in out and out["cluster-enabled"] not in ("yes", "no"):
        raise fail(f"{prop}['cluster-enabled']", out["cluster-enabled"], "allowed: 'yes', 'no'")
    if not engine_version.is_redis_compatible:
        for key in ("maxmemory-policy", "cluster-enabled"):
            if key in out:
                raise fail(f"{prop}[{key!r}]", out[key], f"{engine_version} has no {key!r} parameter")
    for key, value in out.items():
        if key not in MANAGED_PARAMETERS:
            check_parameter(engine_version.family, key, value, prop)
    return out


class ParameterGroup(Resource):
    """A cache parameter group for one engine family.

    CloudFormation names the group itself, so an engine upgrade that changes the family (``valkey7`` ->
    ``valkey8``) creates the new group, moves the cache to it, and only then deletes the old one; a fixed name
    would make the old group "in use" and block the upgrade.

    :param engine_version: engine version whose family the group is for.
    :param eviction_policy: ``maxmemory-policy``. Default: not set (ElastiCache uses ``volatile-lru``).
        Not allowed for Memcached.
    :param cluster_mode: ``cluster-enabled yes`` for cluster-mode (sharded) groups. Default: ``False``.
    :param parameters: further engine parameters, e.g. ``{"maxmemory-samples": "10"}``, checked against the
        family's parameter catalog (``parameters.json``: names, modifiability, allowed values and ranges).
        Default: none.
    :param unchecked_parameters: parameters passed through without the catalog check, for a parameter newer
        than the catalog (shape is still checked). Default: none.
    :param description: Default: derived from the construct path.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        engine_version: EngineVersion,
        eviction_policy: EvictionPolicy | str | None = None,
        cluster_mode: bool = False,
        parameters: Mapping[str, str | int] | None = None,
        unchecked_parameters: Mapping[str, str | int] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(engine_version, EngineVersion):
            raise fail("engine_version", engine_version, "pass an EngineVersion, e.g. EngineVersion.VALKEY_8_1")
        params = validate_parameters(parameters or {}, engine_version)
        extra = _shape(unchecked_parameters or {}, "unchecked_parameters")
        for key in extra:
            if key in params or key in MANAGED_PARAMETERS:
                raise fail("unchecked_parameters key", key, "set each parameter once, in parameters= or its property")
        params.update(extra)
        policy = EvictionPolicy.parse(eviction_policy) if eviction_policy is not None else None
        if not engine_version.is_redis_compatible:
            if policy is not None:
                raise fail("eviction_policy", policy.value, f"{engine_version} has no eviction policy parameter")
            if cluster_mode:
                raise fail("cluster_mode", cluster_mode, f"{engine_version} has no cluster mode")
        for key, owner in MANAGED_PARAMETERS.items():
            if key in params:
                raise fail(f"parameters[{key!r}]", params[key], f"set it with the {owner}= property instead")
        if policy is not None:
            params["maxmemory-policy"] = policy.value
        if cluster_mode:
            params["cluster-enabled"] = "yes"
        self.family = engine_version.family
        self.cluster_mode = cluster_mode
        self.eviction_policy: EvictionPolicy | None = policy or (
            DEFAULT_EVICTION_POLICY if engine_version.is_redis_compatible else None
        )
        self.parameters = dict(params)
        self._resource = elasticache.CfnParameterGroup(
            self,
            "Resource",
            cache_parameter_group_family=engine_version.family,
            description=description or f"{self.node.path} ({engine_version.family})",
            properties=params or None,
        )
        self.parameter_group_name: str = self._resource.ref

    @staticmethod
    def from_parameter_group_name(
        name: str,
        *,
        engine_version: EngineVersion,
        cluster_mode: bool = False,
        eviction_policy: EvictionPolicy | None = None,
    ) -> IParameterGroup:
        """An existing parameter group (e.g. ``default.valkey8.cluster.on``); you state its family and mode."""
        return _ImportedParameterGroup(name, engine_version.family, cluster_mode, eviction_policy)

    @staticmethod
    def default_for(engine_version: EngineVersion, *, cluster_mode: bool = False) -> IParameterGroup:
        """ElastiCache's own default group for a family: ``default.<family>[.cluster.on]``."""
        suffix = ".cluster.on" if cluster_mode else ""
        policy = DEFAULT_EVICTION_POLICY if engine_version.is_redis_compatible else None
        return _ImportedParameterGroup(
            f"default.{engine_version.family}{suffix}", engine_version.family, cluster_mode, policy
        )
