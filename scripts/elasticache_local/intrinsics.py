"""A small CloudFormation intrinsic-function resolver (enough for what CDK emits around caches).

Supported: ``Ref`` (parameters with defaults, pseudo parameters, resources), ``Fn::GetAtt``, ``Fn::Join``,
``Fn::Sub``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` / ``Condition`` with ``Fn::Equals``/``Fn::Not``/``Fn::And``/
``Fn::Or``, ``Fn::FindInMap``, ``Fn::ImportValue`` (other stacks' exports), ``Fn::GetAZs``, ``Fn::Base64``,
``Fn::ToJsonString``, ``Fn::Length`` and ``{{resolve:secretsmanager:...}}`` dynamic references. Anything else
becomes a visible placeholder ``<unresolved:...>`` and a warning, never an exception.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Marker for ``AWS::NoValue``: the enclosing key or list item is removed.
NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()

_DYNAMIC_RE = re.compile(r"\{\{resolve:([a-z-]+):(.*?)\}\}")
_SUB_RE = re.compile(r"\$\{([^}]*)\}")

RefFn = Callable[[str], Any]
AttFn = Callable[[str, str], Any]
SecretFn = Callable[[str, str | None], str]
ImportFn = Callable[[str], Any]


def placeholder(what: str) -> str:
    """The visible value of something that cannot be resolved locally."""
    return f"<unresolved:{what}>"


def is_placeholder(value: Any) -> bool:
    """True when ``value`` (or a string inside it) is an unresolved placeholder."""
    if isinstance(value, str):
        return "<unresolved:" in value
    if isinstance(value, list):
        return any(is_placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(is_placeholder(v) for v in value.values())
    return False


def partition_of(region: str) -> str:
    """The AWS partition of ``region``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass
class Resolver:
    """Evaluates intrinsic functions of one stack's template.

    ``ref(logical_id)`` / ``get_att(logical_id, attribute)`` give resource values; ``secret(secret_id, json_key)``
    resolves Secrets Manager dynamic references; ``import_value(name)`` resolves ``Fn::ImportValue``.
    """

    stack_name: str
    template: dict[str, Any]
    region: str
    account: str
    ref: RefFn
    get_att: AttFn
    secret: SecretFn
    import_value: ImportFn | None = None
    #: ``{{resolve:ssm:NAME}}`` -> value, or ``None`` when unknown locally.
    ssm: Callable[[str], Any] | None = None
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _conditions: dict[str, bool] = field(default_factory=dict)

    # ----------------------------------------------------------------------------------------------- helpers
    def warn(self, message: str) -> None:
        """Record a warning once."""
        text = f"{self.stack_name}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    @property
    def pseudo(self) -> dict[str, Any]:
        """Pseudo parameter values (placeholders for what only a deployment knows)."""
        partition = partition_of(self.region)
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:{partition}:cloudformation:{self.region}:{self.account}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def parameter(self, name: str) -> Any:
        """A template parameter's value: override, else its ``Default``, else a placeholder."""
        params = self.template.get("Parameters") or {}
        spec = params.get(name) or {}
        if name in self.parameter_overrides:
            value: Any = self.parameter_overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            self.warn(f"parameter {name} has no default; using a placeholder")
            return placeholder(f"Ref:{name}")
        ptype = str(spec.get("Type", "String"))
        if ptype.startswith("AWS::SSM::Parameter::Value"):
            self.warn(f"parameter {name} is read from SSM ({value}); using a placeholder")
            return placeholder(f"ssm:{value}")
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            return [v.strip() for v in str(value).split(",")] if not isinstance(value, list) else value
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    def condition(self, name: str) -> bool:
        """Evaluate the template condition ``name`` (unknown -> ``True`` with a warning)."""
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.get("Conditions") or {}
        if name not in conditions:
            self.warn(f"unknown condition {name}; assuming true")
            return True
        self._conditions[name] = True  # recursion guard
        result = self._truthy(conditions[name])
        self._conditions[name] = result
        return result

    def _truthy(self, expr: Any) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            (key, arg), = expr.items()
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals":
                a, b = (self.resolve(v) for v in arg)
                return _norm(a) == _norm(b)
            if key == "Fn::Not":
                return not self._truthy(arg[0])
            if key == "Fn::And":
                return all(self._truthy(v) for v in arg)
            if key == "Fn::Or":
                return any(self._truthy(v) for v in arg)
        value = self.resolve(expr)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
        self.warn(f"cannot evaluate condition {json.dumps(expr)[:80]}; assuming true")
        return True

    # ----------------------------------------------------------------------------------------------- resolve
    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function and dynamic reference inside ``value``."""
        if isinstance(value, str):
            return self._dynamic(value) if "{{resolve:" in value else value
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if isinstance(value, dict):
            if len(value) == 1:
                (key,) = value
                if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                    try:
                        out = self._function(key, value[key])
                    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
                        self.warn(f"malformed {key}: {json.dumps(value[key], default=str)[:80]} ({exc})")
                        return placeholder(key)
                    # Dynamic references are resolved after the functions that build them (Fn::Join...).
                    return self._dynamic(out) if isinstance(out, str) and "{{resolve:" in out else out
            out = {}
            for k, v in value.items():
                r = self.resolve(v)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        return value

    def resolve_str(self, value: Any) -> str:
        """Resolve and render as a CloudFormation string (booleans lower case, numbers plain)."""
        return to_cfn_string(self.resolve(value))

    def _function(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self._ref(str(arg))
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                logical, _, attr = arg.partition(".")
            else:
                logical, attr = str(arg[0]), str(self.resolve(arg[1]))
            return self.get_att(logical, attr)
        if key == "Fn::Join":
            delim, items = arg[0], self.resolve(arg[1])
            if not isinstance(items, list):
                return placeholder("Fn::Join")
            return str(delim).join(to_cfn_string(i) for i in items)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            try:
                return items[int(index)]
            except (TypeError, ValueError, IndexError, KeyError):
                self.warn(f"Fn::Select index {index} out of range")
                return placeholder("Fn::Select")
        if key == "Fn::Split":
            delim, text = arg[0], self.resolve(arg[1])
            return to_cfn_string(text).split(str(delim))
        if key == "Fn::If":
            cond, yes, no = arg
            return self.resolve(yes if self.condition(str(cond)) else no)
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truthy({key: arg})
        if key == "Fn::FindInMap":
            name, top, second = (to_cfn_string(self.resolve(a)) for a in arg[:3])
            try:
                return self.resolve(self.template["Mappings"][name][top][second])
            except (KeyError, TypeError):
                if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return self.resolve(arg[3]["DefaultValue"])
                self.warn(f"Fn::FindInMap {name}/{top}/{second} not found")
                return placeholder("Fn::FindInMap")
        if key == "Fn::ImportValue":
            name = to_cfn_string(self.resolve(arg))
            if self.import_value is not None:
                return self.import_value(name)
            return placeholder(f"ImportValue:{name}")
        if key == "Fn::GetAZs":
            region = to_cfn_string(self.resolve(arg)) or self.region
            return [f"{region}{z}" for z in "abc"]
        if key == "Fn::Base64":
            return base64.b64encode(to_cfn_string(self.resolve(arg)).encode()).decode()
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key == "Fn::Length":
            items = self.resolve(arg)
            return len(items) if isinstance(items, list) else placeholder("Fn::Length")
        self.warn(f"{key} is not supported locally")
        return placeholder(key)

    def _ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            if name in self.pseudo:
                return self.pseudo[name]
            self.warn(f"unknown pseudo parameter {name}")
            return placeholder(name)
        if name in (self.template.get("Parameters") or {}):
            return self.parameter(name)
        if name in (self.template.get("Resources") or {}):
            return self.ref(name)
        self.warn(f"Ref to unknown name {name}")
        return placeholder(f"Ref:{name}")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = str(arg[0]), {k: self.resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = str(arg), {}

        def repl(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return to_cfn_string(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                logical, _, attr = expr.partition(".")
                return to_cfn_string(self.get_att(logical, attr))
            return to_cfn_string(self._ref(expr))

        out = _SUB_RE.sub(repl, text)
        return self._dynamic(out) if "{{resolve:" in out else out

    def _dynamic(self, text: str) -> str:
        def repl(match: re.Match[str]) -> str:
            service, rest = match.group(1), match.group(2)
            if service == "ssm" and self.ssm is not None:
                value = self.ssm(rest.split(":")[0])
                if value is not None:
                    return to_cfn_string(value)
            if service != "secretsmanager":
                self.warn(f"dynamic reference {{{{resolve:{service}:...}}}} is not supported locally")
                return placeholder(f"resolve:{service}:{rest}")
            secret_id, json_key = parse_secret_reference(rest)
            return self.secret(secret_id, json_key)

        return _DYNAMIC_RE.sub(repl, text)


def parse_secret_reference(rest: str) -> tuple[str, str | None]:
    """Split ``secret-id:SecretString:json-key:version-stage:version-id`` (``secret-id`` may be an ARN)."""
    parts = rest.split(":")
    if rest.startswith("arn:"):
        secret_id, tail = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, tail = parts[0], parts[1:]
    json_key = tail[1] if len(tail) > 1 and tail[1] else None
    return secret_id, json_key


def to_cfn_string(value: Any) -> str:
    """Render a resolved value the way CloudFormation turns it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(to_cfn_string(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if value is NO_VALUE or value is None:
        return ""
    return str(value)


def as_bool(value: Any, default: bool = False) -> bool:
    """A CloudFormation boolean (``true``/``"true"``/``"True"``)."""
    if value is None or value is NO_VALUE:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.lower() in ("true", "yes", "1"):
            return True
        if value.lower() in ("false", "no", "0"):
            return False
    return default


def as_int(value: Any, default: int | None = None) -> int | None:
    """A CloudFormation integer (numbers may arrive as strings)."""
    if value is None or value is NO_VALUE or is_placeholder(value):
        return default
    try:
        return int(str(value))
    except ValueError:
        return default


def _norm(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return to_cfn_string(value)
    return value
