"""ElastiCache access strings -> Redis ACL rules.

ElastiCache access strings *are* Redis ACL syntax (``on ~app:* &* -@all +@read``); this module splits them into
rules (keeping ``(...)`` selectors whole), validates each rule and renders ``user`` lines for ``redis.conf``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import EmulatorError

_KEYWORDS = {
    "on", "off", "nopass", "resetpass", "reset", "resetkeys", "resetchannels", "allkeys", "allchannels",
    "allcommands", "nocommands", "clearselectors", "sanitize-payload", "skip-sanitize-payload",
}
_RULE_RES = [
    re.compile(r"^~\S+$"),
    re.compile(r"^%(R|W|RW)~\S+$"),
    re.compile(r"^&\S+$"),
    re.compile(r"^[+-]@[A-Za-z0-9_-]+$"),
    re.compile(r"^[+-][A-Za-z0-9_.:-]+(\|[A-Za-z0-9_.:-]+)?$"),
    re.compile(r"^\(.*\)$"),
]
#: The emulator's own user (replication, Sentinel, status, drills). Not part of any template.
ADMIN_USER = "elasticache-local-admin"


@dataclass
class AclUser:
    """One ACL user: its rules (no passwords) and its passwords."""

    name: str
    rules: list[str]
    passwords: list[str] = field(default_factory=list)
    nopass: bool = False
    source: str = ""
    #: IAM-authenticated (``AuthenticationMode.Type: iam``): locally ``nopass``, since IAM tokens cannot be
    #: verified offline.
    iam: bool = False

    def conf_line(self) -> str:
        """The ``user`` directive for ``redis.conf``."""
        parts = ["user", conf_quote(self.name), "reset", *(conf_quote(r) for r in self.rules)]
        if self.nopass:
            parts.append("nopass")
        parts += [conf_quote(">" + p) for p in self.passwords]
        return " ".join(parts)

    @property
    def enabled(self) -> bool:
        """True when the last ``on``/``off`` rule is ``on``."""
        state = False
        for rule in self.rules:
            if rule == "on":
                state = True
            elif rule in ("off", "reset"):
                state = False
        return state


def split_access_string(access: str) -> list[str]:
    """Split an access string into rules, keeping ``(...)`` selectors as one rule."""
    rules: list[str] = []
    depth, current = 0, ""
    for token in access.split():
        if depth:
            current += " " + token
        else:
            current = token
        depth += token.count("(") - token.count(")")
        if depth <= 0:
            rules.append(current)
            depth, current = 0, ""
    if current:
        raise EmulatorError(f"AccessString {access!r}: unbalanced '(' in a selector")
    return rules


def parse_access_string(access: str, *, where: str) -> list[str]:
    """Validated ACL rules of ``access`` (passwords are not allowed in access strings)."""
    rules = split_access_string(access)
    for rule in rules:
        if rule.lower() in _KEYWORDS:
            continue
        if rule.startswith((">", "<", "#", "!")):
            raise EmulatorError(f"{where}: AccessString must not contain passwords ({rule[:1]}...)")
        if not any(r.match(rule) for r in _RULE_RES):
            raise EmulatorError(
                f"{where}: AccessString rule {rule!r} is not Redis ACL syntax (allowed: on, off, ~pattern, "
                "%R~/%W~/%RW~pattern, &channel, +command, -command, +@category, -@category, (selector), "
                f"{', '.join(sorted(_KEYWORDS - {'on', 'off'}))})"
            )
    return [r.lower() if r.lower() in _KEYWORDS else r for r in rules]


def conf_quote(token: str) -> str:
    """Quote a ``redis.conf`` argument when needed (spaces, quotes, backslashes, empty)."""
    if token and not re.search(r"[\s\"'\\]", token):
        return token
    escaped = token.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'
