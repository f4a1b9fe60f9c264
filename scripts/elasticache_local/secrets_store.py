"""Locally generated values for the template's Secrets Manager secrets (never contacts AWS)."""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from .intrinsics import as_bool, as_int, partition_of

#: Secrets Manager's punctuation set (``GetRandomPassword``).
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ALNUM = string.ascii_letters + string.digits


def generate_password(spec: dict[str, Any], rng: secrets.SystemRandom | None = None) -> str:
    """A password following a ``GenerateSecretString`` spec (length, exclusions, each-type requirement)."""
    rng = rng or secrets.SystemRandom()
    length = as_int(spec.get("PasswordLength"), 32) or 32
    exclude = str(spec.get("ExcludeCharacters") or "")
    classes: list[str] = []
    if not as_bool(spec.get("ExcludeLowercase")):
        classes.append(string.ascii_lowercase)
    if not as_bool(spec.get("ExcludeUppercase")):
        classes.append(string.ascii_uppercase)
    if not as_bool(spec.get("ExcludeNumbers")):
        classes.append(string.digits)
    if not as_bool(spec.get("ExcludePunctuation")):
        classes.append(PUNCTUATION)
    if as_bool(spec.get("IncludeSpace")):
        classes.append(" ")
    classes = ["".join(c for c in cls if c not in exclude) for cls in classes]
    classes = [c for c in classes if c]
    if not classes:
        classes = ["".join(c for c in _ALNUM if c not in exclude) or _ALNUM]
    alphabet = "".join(classes)
    chars = [rng.choice(alphabet) for _ in range(length)]
    if as_bool(spec.get("RequireEachIncludedType"), True) and length >= len(classes):
        positions = rng.sample(range(length), len(classes))
        for pos, cls in zip(positions, classes, strict=True):
            chars[pos] = rng.choice(cls)
    return "".join(chars)


def secret_string_for(props: dict[str, Any], rng: secrets.SystemRandom | None = None) -> str:
    """The local ``SecretString`` of an ``AWS::SecretsManager::Secret`` with resolved ``props``."""
    if isinstance(props.get("SecretString"), str):
        return str(props["SecretString"])
    spec = props.get("GenerateSecretString")
    if not isinstance(spec, dict):
        return generate_password({"ExcludePunctuation": True}, rng)
    password = generate_password(spec, rng)
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        try:
            doc = json.loads(str(template))
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        doc[str(key)] = password
        return json.dumps(doc)
    return password


@dataclass
class LocalSecret:
    """A secret with its local value."""

    arn: str
    name: str
    value: str
    stack: str = ""
    logical_id: str = ""


@dataclass
class SecretStore:
    """Secrets by ARN and name; unknown (imported) secrets get a generated value on first use."""

    by_arn: dict[str, LocalSecret] = field(default_factory=dict)
    rng: secrets.SystemRandom = field(default_factory=secrets.SystemRandom)
    #: Secrets of a running deployment by (stack, logical id): a reconciling ``up`` keeps their ARN and value,
    #: as CloudFormation keeps a secret whose template did not change.
    remembered: dict[tuple[str, str], LocalSecret] = field(default_factory=dict)

    def restore(self, previous: list[dict[str, str]]) -> None:
        """Reuse the secrets recorded by an earlier ``up`` (see :meth:`export`)."""
        for item in previous:
            sec = LocalSecret(**item)
            if sec.stack and sec.logical_id:
                self.remembered[(sec.stack, sec.logical_id)] = sec
            else:
                self.by_arn[sec.arn] = sec

    def export(self) -> list[dict[str, str]]:
        """Every secret, serializable (stored in the private state file)."""
        return [vars(s) for s in self.by_arn.values()]

    def add(self, *, name: str, value: str, region: str, account: str, stack: str = "", logical_id: str = "") -> str:
        """Register a secret; return its ARN (``...:secret:<name>-<6 chars>`` like Secrets Manager)."""
        old = self.remembered.get((stack, logical_id))
        if old is not None and old.name == name:
            self.by_arn[old.arn] = old
            return old.arn
        suffix = "".join(self.rng.choice(_ALNUM) for _ in range(6))
        arn = f"arn:{partition_of(region)}:secretsmanager:{region}:{account}:secret:{name}-{suffix}"
        self.by_arn[arn] = LocalSecret(arn, name, value, stack, logical_id)
        return arn

    def find(self, secret_id: str) -> LocalSecret | None:
        """The secret with ARN, partial ARN or name ``secret_id``."""
        if secret_id in self.by_arn:
            return self.by_arn[secret_id]
        for sec in self.by_arn.values():
            if secret_id == sec.name or (secret_id.startswith("arn:") and sec.arn.startswith(secret_id + "-")):
                return sec
        if secret_id.startswith("arn:"):  # a replica in another region: same account and name-suffix
            parts = secret_id.split(":")
            for sec in self.by_arn.values():
                other = sec.arn.split(":")
                if len(parts) >= 7 and len(other) >= 7 and parts[4] == other[4] and parts[6:] == other[6:]:
                    return sec
        return None

    def value(self, secret_id: str, json_key: str | None = None) -> str:
        """The secret string (or one JSON field of it), generating a value for a secret not in the templates."""
        sec = self.find(secret_id)
        if sec is None:
            name = secret_id.split(":secret:", 1)[-1]
            sec = LocalSecret(secret_id, name, generate_password({"ExcludePunctuation": True}, self.rng))
            self.by_arn[secret_id] = sec
        if json_key is None:
            return sec.value
        try:
            doc = json.loads(sec.value)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and json_key in doc:
            return str(doc[json_key])
        # A JSON key on a plain secret: give the field its own stable generated value.
        if not isinstance(doc, dict):
            doc = {}
        doc[json_key] = generate_password({"ExcludePunctuation": True}, self.rng)
        sec.value = json.dumps(doc)
        return str(doc[json_key])


def token_from_secret_string(value: str) -> str:
    """The AUTH token inside a secret string: the string itself, or its JSON ``token``/``password`` field."""
    try:
        doc = json.loads(value)
    except ValueError:
        return value
    if isinstance(doc, dict):
        for key in ("token", "password", "authToken", "auth_token"):
            if isinstance(doc.get(key), str):
                return str(doc[key])
    return value
