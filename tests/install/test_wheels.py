"""Both distributions as users get them: built (sdist, then the wheel from the sdist), checked with twine, installed
into a clean virtualenv outside the checkout, then used there: a consumer CDK app synthesized with the installed
construct library, every console command, the emulator and the smoke test on the consumer's own assembly, and
``pip install .`` / ``pip install ./constructs`` from source directories.

Dependencies come from the wheelhouse ``make setup`` downloads (the pinned versions), so nothing here needs the
network once set up. The module is one xdist group (its fixtures build and install once) and is collected first
(``conftest.py``), so its worker starts on it while the other worker runs the rest of the suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.xdist_group("wheels")

ROOT = Path(__file__).resolve().parents[2]
CONSTRUCTS = ROOT / "constructs"
# `make setup` fills it (Makefile: WHEELHOUSE); filled here the same way when missing.
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
REQUIREMENT_FILES = ("requirements.txt", "requirements-build.txt")
COMMANDS = ("elasticache-smoke", "elasticache-local", "elasticache-sizing")
# The guide's feed example (docs/sizing.md): 1M users x 50 posts x 1 KB with the guide's own assumptions.
SIZING_FEED_ARGS = ("--items", "1Mx50", "--item-size", "1KB", "--family", "r5", "--replicas", "0",
                    "--headroom", "0", "--reserved-memory-percent", "0")
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".mypy_cache")
TIMEOUT = 300


def run(cmd: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure the assertion shows its output."""
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def user_env(venv: Path) -> dict[str, str]:
    """A user's shell with the virtualenv activated: its bin first on PATH, nothing of the checkout importable.

    Bytecode is written (as for most users): the wheels install with ``--no-compile`` (compiling all of aws-cdk-lib
    and botocore takes about a minute), so the first import compiles only what is used and later processes reuse it.
    """
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    return env


def project(path: Path) -> dict[str, Any]:
    """The [project] table of a pyproject.toml."""
    return tomllib.loads((path / "pyproject.toml").read_text())["project"]


def pins() -> dict[str, str]:
    """name -> pinned version from requirements.txt."""
    out: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[canonical(name)] = version.strip()
    return out


def canonical(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def ensure_wheelhouse() -> Path:
    """The pinned dependencies as wheels (what `make setup` downloads); downloaded once if missing."""
    marker = WHEELHOUSE / ".complete"
    if not marker.exists():
        reqs = [arg for f in REQUIREMENT_FILES for arg in ("-r", str(ROOT / f))]
        run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", WHEELHOUSE, *reqs], cwd=ROOT)
        marker.touch()
    return WHEELHOUSE


def make_venv(path: Path) -> Path:
    """A clean virtualenv (no system site-packages, nothing of the checkout)."""
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    return path


def pip_install(venv: Path, *args: str | Path, cwd: Path) -> None:
    """pip install from the wheelhouse only, held to the pins."""
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "--no-index",
         "--find-links", ensure_wheelhouse(), "--constraint", ROOT / "requirements.txt", *args],
        cwd=cwd, env=user_env(venv))


def wheel_metadata(wheel: Path) -> Any:
    """The METADATA of a wheel as an email.message.Message."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode())


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def toolkit_packages() -> list[str]:
    """Every package the toolkit distribution must ship: scripts/elasticache_*/ with an __init__.py."""
    return sorted(p.parent.name for p in (ROOT / "scripts").glob("elasticache_*/__init__.py"))


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a release is built from (no build leftovers of the checkout): root files, scripts/, constructs/."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "scripts", src / "scripts", ignore=COPY_IGNORE)
    shutil.copytree(CONSTRUCTS, src / "constructs", ignore=COPY_IGNORE)
    return src


@pytest.fixture(scope="module")
def dists(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """``python -m build`` of both distributions: {"constructs"|"toolkit": {"sdist": path, "wheel": path}}."""
    out = tmp_path_factory.mktemp("dist")
    built: dict[str, dict[str, Path]] = {}
    for key, src in (("constructs", sources / "constructs"), ("toolkit", sources)):
        target = out / key
        run([sys.executable, "-m", "build", "--no-isolation", "--outdir", target, src], cwd=src)
        (sdist,), (wheel,) = sorted(target.glob("*.tar.gz")), sorted(target.glob("*.whl"))
        built[key] = {"sdist": sdist, "wheel": wheel}
    return built


@pytest.fixture(scope="module")
def venv(dists: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtualenv outside the checkout with both built wheels installed."""
    env_dir = make_venv(tmp_path_factory.mktemp("user") / "venv")
    pip_install(env_dir, dists["constructs"]["wheel"], dists["toolkit"]["wheel"], cwd=env_dir.parent)
    return env_dir


@pytest.fixture(scope="module")
def consumer(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's CDK app (the constructs README's example, verbatim), synthesized with the installed library."""
    app_dir = tmp_path_factory.mktemp("consumer")
    readme = (CONSTRUCTS / "README.md").read_text()
    (app_dir / "app.py").write_text(re.findall(r"```python\n(.*?)```", readme, re.S)[0])
    env = {**user_env(venv), "CDK_OUTDIR": str(app_dir / "cdk.out")}
    run([venv / "bin" / "python", "app.py"], cwd=app_dir, env=env)
    return app_dir


def test_both_distributions_pass_twine_check(dists: dict[str, dict[str, Path]]) -> None:
    files = [p for d in dists.values() for p in d.values()]
    proc = run([Path(sys.executable).parent / "twine", "check", "--strict", *files], cwd=ROOT)
    assert proc.stdout.count("PASSED") == 4, proc.stdout


@pytest.mark.parametrize("key", ["constructs", "toolkit"])
def test_metadata_is_complete(dists: dict[str, dict[str, Path]], key: str) -> None:
    meta = wheel_metadata(dists[key]["wheel"])
    declared = project(CONSTRUCTS if key == "constructs" else ROOT)
    assert (meta["Name"], meta["Version"]) == (declared["name"], declared["version"])
    assert meta["License-Expression"] == "Apache-2.0" and meta["License-File"] == "LICENSE"
    assert meta["Description-Content-Type"] == "text/markdown" and len(meta.get_payload()) > 500
    assert meta["Requires-Python"] == ">=3.11" and meta["Summary"]
    classifiers = meta.get_all("Classifier")
    assert {"Typing :: Typed", "Framework :: AWS CDK :: 2", "Programming Language :: Python :: 3.11"} <= set(
        classifiers)
    assert f"{canonical(meta['Name']).replace('-', '_')}-{meta['Version']}.dist-info/licenses/LICENSE" in (
        wheel_files(dists[key]["wheel"]))


@pytest.mark.parametrize("key", ["constructs", "toolkit"])
def test_dependency_ranges_admit_the_pinned_versions(dists: dict[str, dict[str, Path]], key: str) -> None:
    pinned = pins()
    versions = {canonical(project(CONSTRUCTS)["name"]): project(CONSTRUCTS)["version"], **pinned}
    requires = [Requirement(r) for r in wheel_metadata(dists[key]["wheel"]).get_all("Requires-Dist")]
    assert requires
    for req in requires:
        name = canonical(req.name)
        if name in versions:
            assert req.specifier.contains(versions[name], prereleases=True), (str(req), versions[name])
        else:  # not pinned directly: must be a dependency of a pinned package (jsii comes with aws-cdk-lib)
            assert name == "jsii", f"{req} is not pinned in requirements.txt"
        assert req.specifier, f"{req}: no version range"


def test_wheels_ship_every_package_with_py_typed_and_data_files(dists: dict[str, dict[str, Path]]) -> None:
    toolkit = wheel_files(dists["toolkit"]["wheel"])
    for pkg in toolkit_packages():
        sources = {p.relative_to(ROOT / "scripts").as_posix() for p in (ROOT / "scripts" / pkg).rglob("*.py")}
        assert sources <= toolkit, f"{pkg}: missing {sorted(sources - toolkit)}"
        assert f"{pkg}/py.typed" in toolkit
    shipped = {name.split("/", 1)[0] for name in toolkit if "/" in name and ".dist-info/" not in name}
    assert shipped == set(toolkit_packages())  # no launchers, shell scripts or stray top-level modules
    library = wheel_files(dists["constructs"]["wheel"])
    data = {p.relative_to(CONSTRUCTS).as_posix() for p in (CONSTRUCTS / "elasticache_constructs").glob("*.json")}
    assert "elasticache_constructs/change_safety.json" in data
    assert data | {"elasticache_constructs/py.typed"} <= library
    for key in ("constructs", "toolkit"):
        with zipfile.ZipFile(dists[key]["wheel"]) as zf:
            entry_points = next((n for n in zf.namelist() if n.endswith("entry_points.txt")), None)
            scripts = zf.read(entry_points).decode() if entry_points else ""
        if key == "toolkit":
            for command in COMMANDS:
                pkg = command.replace("-", "_")
                assert f"{command} = {pkg}.cli:main" in scripts


def test_sdists_carry_what_the_wheel_is_built_from(dists: dict[str, dict[str, Path]]) -> None:
    import tarfile

    for key in ("constructs", "toolkit"):
        with tarfile.open(dists[key]["sdist"]) as tf:
            names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
        assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= names, key


def test_consumer_app_synthesizes_with_the_installed_construct_library(venv: Path, consumer: Path) -> None:
    probe = run([venv / "bin" / "python", "-c", "import elasticache_constructs as m; print(m.__file__)"],
                cwd=consumer, env=user_env(venv))
    location = Path(probe.stdout.strip())
    assert location.is_relative_to(venv) and not location.is_relative_to(ROOT), location
    manifest = json.loads((consumer / "cdk.out" / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert len(stacks) == 1
    template = json.loads((consumer / "cdk.out" / stacks[0]["properties"]["templateFile"]).read_text())
    groups = [r["Properties"] for r in template["Resources"].values()
              if r["Type"] == "AWS::ElastiCache::ReplicationGroup"]
    assert len(groups) == 1
    group = groups[0]
    assert group["TransitEncryptionEnabled"] is True and group["AtRestEncryptionEnabled"] is True
    assert group["AutomaticFailoverEnabled"] is True and group["MultiAZEnabled"] is True
    assert group["Engine"] == "valkey" and group["CacheNodeType"] == "cache.r7g.large"
    assert "resolve:secretsmanager" in json.dumps(group["AuthToken"])  # a dynamic reference, never the token
    assert any(key.startswith("Sessions") for key in template["Outputs"])


@pytest.mark.parametrize("command", COMMANDS)
def test_console_command_is_on_path_and_answers_help(venv: Path, command: str) -> None:
    env = user_env(venv)
    found = shutil.which(command, path=env["PATH"])
    assert found is not None and Path(found).parent == venv / "bin"
    proc = run([command, "--help"], cwd=venv.parent, env=env)
    assert proc.stdout.startswith(f"usage: {command} ")


def test_sizing_command_reproduces_the_guides_feed_example(venv: Path) -> None:
    env = user_env(venv)
    out = json.loads(run(["elasticache-sizing", *SIZING_FEED_ARGS, "--json"], cwd=venv.parent, env=env).stdout)
    assert (out["node_type"], out["shards"], out["replicas_per_shard"], out["nodes"]) == ("cache.r5.xlarge", 2, 0, 2)
    text = run(["elasticache-sizing", *SIZING_FEED_ARGS], cwd=venv.parent, env=env).stdout
    assert "cache.r5.xlarge" in text


@pytest.fixture
def emulated(venv: Path, consumer: Path) -> Iterator[Path]:
    """The consumer's assembly running locally (``elasticache-local up``); always brought down."""
    env = user_env(venv)
    state = consumer / ".local-elasticache"
    outputs = consumer / "local-outputs.json"
    try:
        run(["elasticache-local", "up", "--assembly", "cdk.out", "--state-dir", state, "--outputs-file", outputs],
            cwd=consumer, env=env)
        yield outputs
    finally:
        run(["elasticache-local", "down", "--state-dir", state], cwd=consumer, env=env, check=False)


def test_emulator_and_smoke_run_on_the_consumers_own_assembly(venv: Path, consumer: Path, emulated: Path) -> None:
    outputs = json.loads(emulated.read_text())
    assert any(key.startswith("Sessions") for values in outputs.values() for key in values)
    proc = run(["elasticache-smoke", "--outputs", emulated, "--suite", "server,strings,sorted_sets"],
               cwd=consumer, env=user_env(venv))
    assert re.search(r"strings\s.*pass", proc.stdout, re.I), proc.stdout


def test_pip_install_from_source_directories(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`pip install ./constructs` then `pip install .`, in a fresh virtualenv: both succeed, commands on PATH."""
    env_dir = make_venv(tmp_path_factory.mktemp("from-source") / "venv")
    pip_install(env_dir, "./constructs", cwd=sources)
    pip_install(env_dir, ".", cwd=sources)
    env = user_env(env_dir)
    for command in COMMANDS:
        assert shutil.which(command, path=env["PATH"]) == str(env_dir / "bin" / command)
    probe = run([env_dir / "bin" / "python", "-c",
                 "import elasticache_constructs, elasticache_local, elasticache_sizing, elasticache_smoke as m;"
                 "print(m.__file__)"], cwd=env_dir.parent, env=env)
    assert Path(probe.stdout.strip()).is_relative_to(env_dir)
    assert run(["elasticache-smoke", "--list-suites"], cwd=env_dir.parent, env=env).stdout.startswith("redis")
