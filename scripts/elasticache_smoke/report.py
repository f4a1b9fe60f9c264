"""Results of a smoke run: checks, suites, latencies, the table and the JSON document."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticache_connect import Target

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONNECT = 2
EXIT_INTERRUPTED = 130

STATUS_PASS = "pass"
STATUS_FAIL = "fail"
STATUS_ERROR = "error"
STATUS_SKIPPED = "skipped"


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (``None`` when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class CheckResult:
    """One assertion: what was expected, what the server returned."""

    name: str
    passed: bool
    expected: Any = None
    actual: Any = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "name": self.name,
            "passed": self.passed,
            "expected": _jsonable(self.expected),
            "actual": _jsonable(self.actual),
            "detail": self.detail,
        }


@dataclass
class SuiteResult:
    """All checks of one suite, its command latencies (seconds) and any output lines."""

    name: str
    checks: list[CheckResult] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    duration: float = 0.0

    @property
    def status(self) -> str:
        """``pass``, ``fail`` (a check failed), ``error`` (the suite raised) or ``skipped``."""
        if self.skipped is not None:
            return STATUS_SKIPPED
        if self.error is not None:
            return STATUS_ERROR
        if any(not c.passed for c in self.checks):
            return STATUS_FAIL
        return STATUS_PASS

    @property
    def ok(self) -> bool:
        """True unless a check failed or the suite raised."""
        return self.status in (STATUS_PASS, STATUS_SKIPPED)

    def failures(self) -> list[CheckResult]:
        """The failed checks."""
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form with p50/p99 in milliseconds."""
        return {
            "name": self.name,
            "status": self.status,
            "checks": [c.as_dict() for c in self.checks],
            "passed": sum(c.passed for c in self.checks),
            "failed": len(self.failures()),
            "p50_ms": _ms(percentile(self.latencies, 50)),
            "p99_ms": _ms(percentile(self.latencies, 99)),
            "commands": len(self.latencies),
            "output": list(self.output),
            "error": self.error,
            "skipped": self.skipped,
            "duration_s": round(self.duration, 4),
        }


@dataclass
class Report:
    """The whole run; ``exit_code`` follows the CLI contract (0 pass, 1 check failed, 2 connect failure)."""

    target: Target | None
    suites: list[SuiteResult] = field(default_factory=list)
    operations: dict[str, list[float]] = field(default_factory=dict)
    wall_time: float = 0.0
    namespace: str = ""
    read_only: bool = False
    cluster: bool | None = None
    server_version: str = ""
    connect_error: str | None = None
    connect_stage: str | None = None
    interrupted: bool = False
    cleanup_deleted: int = 0
    cleanup_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the run connected, was not interrupted and every suite passed."""
        return (
            self.connect_error is None
            and not self.interrupted
            and not self.cleanup_errors
            and all(s.ok for s in self.suites)
        )

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 a check failed (or cleanup failed), 2 connect/auth failure, 130 interrupted."""
        if self.connect_error is not None:
            return EXIT_CONNECT
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.ok else EXIT_CHECK_FAILED

    def suite(self, name: str) -> SuiteResult:
        """The result of suite ``name`` (``KeyError`` if it did not run)."""
        for suite in self.suites:
            if suite.name == name:
                return suite
        raise KeyError(name)

    def hints(self) -> list[str]:
        """Explanations for recognisable server errors (OOM, NOPERM, READONLY)."""
        texts = [s.error or "" for s in self.suites] + [c.detail for s in self.suites for c in s.failures()]
        hints = []
        if any(t.startswith("OOM") or "maxmemory" in t for t in texts):
            hints.append(
                "the server refused writes with OOM: used memory is above 'maxmemory' and the "
                "eviction policy (maxmemory-policy, e.g. noeviction) does not free space; "
                "raise maxmemory or pick an evicting policy"
            )
        if any("NOPERM" in t for t in texts):
            hints.append(
                "NOPERM: the ACL user may not run some commands/keys/channels used by a suite; "
                "use --key-prefix to match the user's key patterns or deselect the suite with --suite"
            )
        if any(t.startswith("MOVED") for t in texts):
            hints.append("MOVED: the endpoint is in cluster mode; let the cluster mode be detected (drop --no-cluster)")
        if any("READONLY" in t for t in texts):
            hints.append("READONLY: the endpoint is a replica/reader endpoint; use the primary endpoint")
        return hints

    def as_dict(self) -> dict[str, Any]:
        """The document written by ``--json``."""
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "target": self.target.as_dict() if self.target else None,
            "cluster": self.cluster,
            "server_version": self.server_version,
            "namespace": self.namespace,
            "read_only": self.read_only,
            "wall_time_s": round(self.wall_time, 4),
            "connect_error": self.connect_error,
            "connect_stage": self.connect_stage,
            "interrupted": self.interrupted,
            "cleanup": {"deleted_keys": self.cleanup_deleted, "errors": list(self.cleanup_errors)},
            "suites": [s.as_dict() for s in self.suites],
            "operations": {
                name: {
                    "count": len(values),
                    "p50_ms": _ms(percentile(values, 50)),
                    "p99_ms": _ms(percentile(values, 99)),
                }
                for name, values in sorted(self.operations.items())
            },
            "hints": self.hints(),
            "notes": list(self.notes),
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`as_dict` to ``path``."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2, sort_keys=False) + "\n")

    def render(self) -> str:
        """The human-readable report: header, table, suite output, failures, hints."""
        lines: list[str] = []
        if self.target is not None:
            lines.append(f"target:    {self.target.describe()}")
            if self.target.source:
                lines.append(f"source:    {self.target.source}")
        if self.connect_error is not None:
            lines.append(f"CONNECT FAILED at stage {self.connect_stage}: {self.connect_error}")
            return "\n".join(lines)
        mode = {True: "cluster", False: "standalone", None: "unknown"}[self.cluster]
        server = f"{self.server_version} " if self.server_version else ""
        lines.append(f"server:    {server}({mode}){'  READ-ONLY run' if self.read_only else ''}")
        lines.append(f"namespace: {self.namespace}")
        for note in ([*self.target.notes] if self.target else []) + self.notes:
            lines.append(f"note:      {note}")
        lines.append("")
        lines.extend(render_table(self.suites))
        for suite in self.suites:
            if suite.output:
                lines.append("")
                lines.append(f"[{suite.name}]")
                lines.extend(f"  {line}" for line in suite.output)
        skipped_suites = [s for s in self.suites if s.skipped is not None]
        if skipped_suites:
            lines.append("")
            lines.extend(f"skipped {s.name}: {s.skipped}" for s in skipped_suites)
        problems = [s for s in self.suites if not s.ok]
        if problems:
            lines.append("")
            lines.append("Failures:")
            for suite in problems:
                if suite.error:
                    lines.append(f"  {suite.name}: ERROR {suite.error}")
                for check in suite.failures():
                    lines.append(
                        f"  {suite.name} / {check.name}: expected {check.expected!r}, got {check.actual!r}"
                        + (f" ({check.detail})" if check.detail else "")
                    )
        for hint in self.hints():
            lines.append(f"hint: {hint}")
        if self.cleanup_errors:
            lines.append("cleanup FAILED: " + "; ".join(self.cleanup_errors))
        lines.append("")
        total = sum(len(s.checks) for s in self.suites)
        passed = sum(sum(c.passed for c in s.checks) for s in self.suites)
        verdict = "PASSED" if self.ok else ("INTERRUPTED" if self.interrupted else "FAILED")
        errored = sum(1 for s in self.suites if s.error is not None)
        skipped = sum(1 for s in self.suites if s.skipped is not None)
        extra = f", {errored} suites errored" if errored else ""
        extra += f", {skipped} skipped" if skipped else ""
        lines.append(
            f"{verdict}: {passed}/{total} checks passed in {len(self.suites)} suites{extra}, "
            f"{self.wall_time:.2f}s, cleanup deleted {self.cleanup_deleted} keys"
        )
        return "\n".join(lines)


def render_table(suites: Iterable[SuiteResult]) -> list[str]:
    """Table rows: suite, checks, passed, failed, result, p50 ms, p99 ms."""
    header = ("suite", "checks", "passed", "failed", "result", "p50 ms", "p99 ms")
    rows = [header]
    for suite in suites:
        p50, p99 = percentile(suite.latencies, 50), percentile(suite.latencies, 99)
        rows.append(
            (
                suite.name,
                str(len(suite.checks)),
                str(sum(c.passed for c in suite.checks)),
                str(len(suite.failures())),
                suite.status.upper(),
                "-" if p50 is None else f"{p50 * 1000:.3f}",
                "-" if p99 is None else f"{p99 * 1000:.3f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000.0, 4)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return repr(value)
