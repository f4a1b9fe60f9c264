"""Small shared helpers for construct-time validation.

Every error names the offending property, the value received and what is allowed, and is raised while the
construct is being built (never at deploy time). Values that are unresolved CDK tokens are skipped: they are
only known to CloudFormation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Token


class ValidationError(ValueError):
    """A property of an ElastiCache construct has a value AWS would reject."""


def is_unresolved(value: Any) -> bool:
    """True when ``value`` is (or contains) a CDK token that only CloudFormation can resolve."""
    if value is None:
        return False
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(v) for v in value)
    return bool(Token.is_unresolved(value))


def implements(obj: Any, iface: type) -> bool:
    """True when ``obj`` implements the jsii interface ``iface`` (e.g. ``secretsmanager.ISecret``).

    jsii interfaces are typing Protocols that ``isinstance`` cannot check; this reads jsii's own records: the
    interfaces a class declares, and the proxies behind objects imported with ``from_*`` methods.
    """
    if obj is None:
        return False
    delegates = getattr(obj, "_delegates", None)
    if delegates is not None:
        return any(implements(d, iface) for d in delegates)
    proxy = getattr(iface, "__jsii_proxy_class__", None)
    proxy_cls = proxy() if callable(proxy) else None
    for cls in type(obj).__mro__:
        if iface in getattr(cls, "__jsii_ifaces__", ()) or (proxy_cls is not None and cls is proxy_cls):
            return True
    return False


def fail(prop: str, value: Any, allowed: str) -> ValidationError:
    """Build the standard error: ``<prop>: got <value>; <allowed>``."""
    return ValidationError(f"{prop}: got {value!r}; {allowed}")


def check_range(prop: str, value: int | None, low: int, high: int) -> None:
    """Reject an integer outside ``[low, high]`` (tokens and ``None`` are skipped)."""
    if value is None or is_unresolved(value):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(prop, value, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise fail(prop, value, f"must be from {low} to {high}")


def check_choice(prop: str, value: Any, allowed: Iterable[Any]) -> None:
    """Reject a value that is not one of ``allowed``."""
    allowed = list(allowed)
    if value is None or is_unresolved(value):
        return
    if value not in allowed:
        raise fail(prop, value, "allowed: " + ", ".join(repr(a) for a in allowed))
