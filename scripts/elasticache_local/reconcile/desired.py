"""Desired state: the assembly's templates and the emulator's plan of every resource in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assembly import Assembly, load_assembly
from ..errors import EmulatorError
from ..model import Plan
from ..planner import RG, World, build_plan
from .diff import Templates


@dataclass
class Desired:
    """What an assembly asks for."""

    assembly: Assembly
    world: World
    plan: Plan

    @property
    def templates(self) -> Templates:
        """Stack name -> template."""
        return {s.name: s.template for s in self.assembly.stacks}


def select_stacks(assembly: Assembly, stacks: list[str]) -> Assembly:
    """Keep only ``stacks`` (all when empty); error naming unknown ones."""
    if stacks:
        known = {s.name for s in assembly.stacks}
        unknown = [s for s in stacks if s not in known]
        if unknown:
            raise EmulatorError(f"--stack {', '.join(unknown)}: not in the assembly; known: {', '.join(sorted(known))}")
        assembly.stacks = [s for s in assembly.stacks if s.name in stacks]
    return assembly


def load_desired(
    assembly_dir: Path, stacks: list[str], parameters: dict[str, dict[str, str]],
    secrets: list[dict[str, str]] | None = None,
) -> Desired:
    """Load and plan ``assembly_dir`` (``secrets`` of a running deployment are kept)."""
    assembly = select_stacks(load_assembly(assembly_dir), stacks)
    return plan_assembly(assembly, parameters, secrets)


def plan_assembly(
    assembly: Assembly, parameters: dict[str, dict[str, str]], secrets: list[dict[str, str]] | None = None
) -> Desired:
    """Plan an already loaded assembly."""
    world = World(assembly, parameters, secrets)
    plan = build_plan(world)
    for rp in plan.redis:
        if rp.cluster_mode and rp.resource_type == "ReplicationGroup":
            rp.explicit_slots = _explicit_slots(world.props(rp.stack, rp.logical_id))
    return Desired(assembly, world, plan)


def _explicit_slots(props: dict[str, Any]) -> bool:
    ngc = [g for g in (props.get("NodeGroupConfiguration") or []) if isinstance(g, dict)]
    return bool(ngc) and all(g.get("Slots") for g in ngc)


__all__ = ["RG", "Desired", "load_desired", "plan_assembly", "select_stacks"]
