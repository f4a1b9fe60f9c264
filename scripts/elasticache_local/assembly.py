"""Read a CDK cloud assembly (``cdk.out``): its manifest and the CloudFormation templates of its stacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EmulatorError

STACK_ARTIFACT = "aws:cloudformation:stack"
#: Placeholder environment of environment-agnostic stacks (``aws://unknown-account/unknown-region``).
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass
class StackTemplate:
    """One stack artifact of the assembly."""

    name: str
    template: dict[str, Any]
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    template_path: Path | None = None
    display_name: str = ""

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The template's ``Resources`` map (empty when absent)."""
        res = self.template.get("Resources") or {}
        return res if isinstance(res, dict) else {}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        """The template's ``Outputs`` map (empty when absent)."""
        out = self.template.get("Outputs") or {}
        return out if isinstance(out, dict) else {}


@dataclass
class Assembly:
    """The stacks of a cloud assembly, in manifest order (nested assemblies flattened)."""

    directory: Path
    stacks: list[StackTemplate] = field(default_factory=list)

    def stack(self, name: str) -> StackTemplate:
        """The stack called ``name`` (error listing the known names otherwise)."""
        for s in self.stacks:
            if s.name == name:
                return s
        raise EmulatorError(f"--stack {name!r}: no such stack; known: {', '.join(s.name for s in self.stacks)}")


def _parse_environment(env: str | None) -> tuple[str, str]:
    """``aws://account/region`` -> (region, account), with placeholders for unknown parts."""
    region, account = DEFAULT_REGION, DEFAULT_ACCOUNT
    if env and env.startswith("aws://"):
        parts = env[len("aws://"):].split("/")
        if len(parts) == 2:
            if parts[0] and not parts[0].startswith("unknown"):
                account = parts[0]
            if parts[1] and not parts[1].startswith("unknown"):
                region = parts[1]
    return region, account


def load_assembly(directory: str | os.PathLike[str]) -> Assembly:
    """Load ``directory/manifest.json`` and every stack template it lists.

    Works on any CDK app's assembly: stacks are the artifacts of type ``aws:cloudformation:stack`` and their
    ``properties.templateFile``; nested cloud assemblies (CDK stages) are followed.
    """
    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise EmulatorError(
            f"--assembly {str(root)!r}: no manifest.json there; synthesize first (cdk synth, or pass --synth)"
        )
    assembly = Assembly(directory=root)
    _load_into(assembly, root, seen=set())
    if not assembly.stacks:
        raise EmulatorError(f"--assembly {str(root)!r}: the manifest lists no CloudFormation stacks")
    return assembly


def _load_into(assembly: Assembly, root: Path, seen: set[Path]) -> None:
    manifest_path = (root / "manifest.json").resolve()
    if manifest_path in seen:
        return
    seen.add(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise EmulatorError(f"cannot read {manifest_path}: {exc}") from exc
    artifacts = manifest.get("artifacts") or {}
    for art_id, art in artifacts.items():
        kind = art.get("type")
        props = art.get("properties") or {}
        if kind == "cdk:cloud-assembly" and props.get("directoryName"):
            _load_into(assembly, root / props["directoryName"], seen)
            continue
        if kind != STACK_ARTIFACT:
            continue
        template_file = props.get("templateFile")
        if not template_file:
            continue
        path = root / template_file
        try:
            template = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise EmulatorError(f"stack {art_id}: cannot read template {path}: {exc}") from exc
        region, account = _parse_environment(art.get("environment"))
        name = props.get("stackName") or art_id
        assembly.stacks.append(
            StackTemplate(
                name=name,
                template=template,
                region=region,
                account=account,
                template_path=path,
                display_name=art.get("displayName") or art_id,
            )
        )


def synthesize(app_dir: Path, outdir: Path, *, use_npx: bool = False, timeout: float = 600.0) -> None:
    """Synthesize the CDK app in ``app_dir`` into ``outdir``.

    Default: ``python app.py`` with ``CDK_OUTDIR`` (fast, no Node CLI round trip). ``use_npx``: ``npx cdk synth -q
    --output outdir`` (honours ``cdk.json`` context and the app command).
    """
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    if use_npx:
        if shutil.which("npx") is None:
            raise EmulatorError("--synth: npx not found on PATH")
        cmd = ["npx", "cdk", "synth", "-q", "--output", str(outdir)]
    else:
        app = app_dir / "app.py"
        if not app.is_file():
            raise EmulatorError(f"--synth: no app.py in {app_dir} (use --synth-with-npx for other apps)")
        env["CDK_OUTDIR"] = str(outdir)
        cmd = [sys.executable, str(app)]
    proc = subprocess.run(cmd, cwd=app_dir, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise EmulatorError(f"synthesis failed ({' '.join(cmd)}), exit {proc.returncode}:\n{tail}")
