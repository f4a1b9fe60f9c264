"""Find a cache from a ``cdk deploy --outputs-file`` file or from a deployed stack (boto3).

Both paths read the same output keys (see ``docs/outputs-contract.md``): ``<P>Engine``,
``<P>ResourceType``, ``<P>ResourceId``, ``<P>EndpointAddress``/``Port``, ``<P>Tls``, ``<P>ClusterMode``,
``<P>AuthSecretArn`` and, from the local emulator only, ``<P>AuthToken`` / ``<P>CaFile`` / ``<P>LocalUsers``.
The AUTH token is read from Secrets Manager once per secret and process (cached).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DiscoveryError
from .target import ENGINES, Target

RESOURCE_TYPES = ("ReplicationGroup", "ServerlessCache", "CacheCluster")
REQUIRED_SUFFIXES = (
    "Engine",
    "ResourceType",
    "ResourceId",
    "EndpointAddress",
    "EndpointPort",
    "Tls",
    "ClusterMode",
    "AuthSecretArn",
)

ClientFactory = Callable[[str, str | None], Any]
"""``factory(service_name, region) -> boto3 client``; tests pass Stubber-wrapped clients."""


@dataclass
class CacheOutputs:
    """The validated outputs of one cache (one prefix) of one stack."""

    stack: str
    prefix: str
    engine: str
    resource_type: str
    resource_id: str
    address: str
    port: int
    tls: bool
    cluster: bool
    auth_secret_arn: str | None
    auth_token: str | None
    ca_file: str | None
    reader_address: str | None
    reader_port: int | None
    nodes: list[tuple[str, int]] = field(default_factory=list)
    local_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    region: str | None = None


def default_factory(service: str, region: str | None) -> Any:
    """A boto3 client (the standard credential chain)."""
    import boto3

    return boto3.client(service, region_name=region)


def load_outputs_file(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a cdk outputs file: ``{"<Stack>": {"<OutputKey>": "<value>"}}``."""
    file = Path(path)
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        raise DiscoveryError(f"--outputs {str(path)!r}: file not found") from None
    except json.JSONDecodeError as exc:
        raise DiscoveryError(f"--outputs {str(path)!r}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DiscoveryError(
            f"--outputs {str(path)!r}: expected the cdk outputs-file shape "
            '{"<StackName>": {"<OutputKey>": "<value>", ...}}'
        )
    return {str(stack): {str(k): str(v) for k, v in values.items()} for stack, values in data.items()}


def select_stack(outputs: Mapping[str, Mapping[str, str]], stack: str | None) -> tuple[str, Mapping[str, str]]:
    """Pick ``stack`` (or the only stack) from an outputs file."""
    names = sorted(outputs)
    if stack is None:
        if len(names) == 1:
            return names[0], outputs[names[0]]
        raise DiscoveryError(
            f"the outputs file holds {len(names)} stacks; choose one with --stack "
            f"(allowed: {', '.join(names) or 'none'})"
        )
    if stack not in outputs:
        raise DiscoveryError(f"--stack {stack!r} is not in the outputs file; allowed: {', '.join(names) or 'none'}")
    return stack, outputs[stack]


def cache_prefixes(outputs: Mapping[str, str]) -> list[str]:
    """Prefixes ``P`` for which both ``<P>Engine`` and ``<P>ResourceType`` exist."""
    found = []
    for key in outputs:
        if key.endswith("Engine"):
            prefix = key[: -len("Engine")]
            if f"{prefix}ResourceType" in outputs:
                found.append(prefix)
    return sorted(found)


def select_cache(stack: str, outputs: Mapping[str, str], cache: str | None) -> str:
    """Pick the cache prefix (``--cache``), automatically when the stack has exactly one."""
    prefixes = cache_prefixes(outputs)
    if cache is None:
        if len(prefixes) == 1:
            return prefixes[0]
        if not prefixes:
            raise DiscoveryError(
                f"stack {stack!r} has no cache outputs (no '<P>Engine' with '<P>ResourceType'); "
                "is it a stack of this project?"
            )
        raise DiscoveryError(
            f"stack {stack!r} holds {len(prefixes)} caches; choose one with --cache (allowed: {', '.join(prefixes)})"
        )
    if cache not in prefixes:
        raise DiscoveryError(
            f"--cache {cache!r} is not a cache of stack {stack!r}; allowed: {', '.join(prefixes) or 'none'}"
        )
    return cache


def _bool(stack: str, key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise DiscoveryError(f"stack {stack!r} output {key!r} must be 'true' or 'false', got {value!r}")
    return lowered == "true"


def _port(stack: str, key: str, value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise DiscoveryError(f"stack {stack!r} output {key!r} must be a port number 1-65535, got {value!r}")
    return port


def parse_cache_outputs(stack: str, outputs: Mapping[str, str], prefix: str) -> CacheOutputs:
    """Validate the contract keys of cache ``prefix``; errors name the missing/invalid output key."""
    missing = [f"{prefix}{suffix}" for suffix in REQUIRED_SUFFIXES if f"{prefix}{suffix}" not in outputs]
    if missing:
        raise DiscoveryError(
            f"stack {stack!r} is missing output(s) {', '.join(missing)} for cache {prefix!r} "
            f"(required: {', '.join(prefix + s for s in REQUIRED_SUFFIXES)})"
        )
    engine = outputs[f"{prefix}Engine"].strip().lower()
    if engine not in ENGINES:
        raise DiscoveryError(
            f"stack {stack!r} output {prefix}Engine is {outputs[prefix + 'Engine']!r}; allowed: {', '.join(ENGINES)}"
        )
    resource_type = outputs[f"{prefix}ResourceType"].strip()
    if resource_type not in RESOURCE_TYPES:
        raise DiscoveryError(
            f"stack {stack!r} output {prefix}ResourceType is {resource_type!r}; allowed: {', '.join(RESOURCE_TYPES)}"
        )
    local_users = _local_users(stack, prefix, outputs.get(f"{prefix}LocalUsers"))
    reader_address = outputs.get(f"{prefix}ReaderEndpointAddress")
    reader_port_raw = outputs.get(f"{prefix}ReaderEndpointPort")
    secret = outputs[f"{prefix}AuthSecretArn"].strip()
    return CacheOutputs(
        stack=stack,
        prefix=prefix,
        engine=engine,
        resource_type=resource_type,
        resource_id=outputs[f"{prefix}ResourceId"].strip(),
        address=outputs[f"{prefix}EndpointAddress"].strip(),
        port=_port(stack, f"{prefix}EndpointPort", outputs[f"{prefix}EndpointPort"]),
        tls=_bool(stack, f"{prefix}Tls", outputs[f"{prefix}Tls"]),
        cluster=_bool(stack, f"{prefix}ClusterMode", outputs[f"{prefix}ClusterMode"]),
        auth_secret_arn=None if secret.lower() in ("", "none") else secret,
        auth_token=outputs.get(f"{prefix}AuthToken") or None,
        ca_file=outputs.get(f"{prefix}CaFile") or None,
        reader_address=reader_address or None,
        reader_port=_port(stack, f"{prefix}ReaderEndpointPort", reader_port_raw) if reader_port_raw else None,
        local_users=local_users,
    )


def _local_users(stack: str, prefix: str, raw: str | None) -> dict[str, dict[str, Any]]:
    """``<P>LocalUsers`` (emulation only): JSON ``{"<user>": {"password": str|null, "iam": bool}}``."""
    if not raw:
        return {}
    try:
        users = json.loads(raw)
    except json.JSONDecodeError:
        users = None
    if not isinstance(users, dict) or not all(isinstance(v, dict) for v in users.values()):
        raise DiscoveryError(
            f"stack {stack!r} output {prefix}LocalUsers must be a JSON object "
            '{"<user>": {"password": "<pw>" or null, "iam": true|false}}'
        )
    return {str(name): dict(value) for name, value in users.items()}


def client_error(exc: Exception, api: str, what: str) -> DiscoveryError:
    """Turn a botocore error into a message naming the API call and the likely fix."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoCredentialsError):
        return DiscoveryError(f"{api}: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/...)")
    if isinstance(exc, NoRegionError):
        return DiscoveryError(f"{api}: no AWS region; pass --region")
    if isinstance(exc, EndpointConnectionError):
        return DiscoveryError(f"{api}: cannot reach the AWS API endpoint ({exc})")
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in (
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "UnrecognizedClientException",
        ):
            return DiscoveryError(
                f"access denied calling {api} for {what}: the caller needs permission {api} ({code}: {message})"
            )
        return DiscoveryError(f"{api} failed for {what}: {code}: {message}")
    return DiscoveryError(f"{api} failed for {what}: {exc}")


def region_of_arn(arn: str, key: str) -> str:
    """The region field of an ARN (``arn:aws:secretsmanager:<region>:...``)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise DiscoveryError(f"output {key!r} is not an ARN with a region: {arn!r}")
    return parts[3]


# ElastiCache AUTH tokens / user passwords: printable ASCII, at most 128 characters
# (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html).
MAX_TOKEN_LENGTH = 128
_token_cache: dict[str, str] = {}
_token_lock = threading.Lock()


def _checked_token(arn: str, token: str) -> str:
    """``token`` when it can be an AUTH token; the error never includes the secret's value."""
    if len(token) > MAX_TOKEN_LENGTH or not all(32 <= ord(ch) <= 126 for ch in token):
        raise DiscoveryError(
            f"secret {arn} does not hold an AUTH token: expected 1-{MAX_TOKEN_LENGTH} printable ASCII characters "
            f"(got {len(token)} characters, or a control/non-ASCII character); "
            "allowed: a plain token, or JSON with 'token'/'password'"
        )
    return token


def clear_token_cache() -> None:
    """Forget every AUTH token read from Secrets Manager (after a rotation)."""
    with _token_lock:
        _token_cache.clear()


def fetch_auth_token(
    arn: str, *, factory: ClientFactory | None = None, key: str = "AuthSecretArn", cached: bool = True
) -> str:
    """Read the AUTH token from Secrets Manager (once per ARN and process unless ``cached=False``).

    The ``SecretString`` is the token itself or a JSON object with a ``token`` or ``password`` field.
    """
    if cached:
        with _token_lock:
            if arn in _token_cache:
                return _token_cache[arn]
    token = _read_token(arn, factory, key)
    if cached:
        with _token_lock:
            _token_cache[arn] = token
    return token


def _read_token(arn: str, factory: ClientFactory | None, key: str) -> str:
    factory = factory or default_factory
    region = region_of_arn(arn, key)
    client = factory("secretsmanager", region)
    try:
        response = client.get_secret_value(SecretId=arn)
    except Exception as exc:
        raise client_error(exc, "secretsmanager:GetSecretValue", f"secret {arn}") from None
    secret = response.get("SecretString")
    if not secret:
        raise DiscoveryError(f"secret {arn} has no SecretString (binary secrets are not supported)")
    stripped = secret.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            for name in ("token", "password"):
                value = parsed.get(name)
                if isinstance(value, str) and value:
                    return _checked_token(arn, value)
            raise DiscoveryError(
                f"secret {arn} is a JSON object without a 'token' or 'password' string field "
                f"(fields: {', '.join(sorted(parsed)) or 'none'}); "
                "allowed: a plain token, or JSON with 'token'/'password'"
            )
    return _checked_token(arn, secret)


def target_of(c: CacheOutputs, source: str, password: str | None, notes: list[str]) -> Target:
    """The :class:`Target` for validated outputs ``c``."""
    region = c.region
    if region is None and c.auth_secret_arn:
        parts = c.auth_secret_arn.split(":")
        region = parts[3] if len(parts) >= 6 and parts[3] else None
    return Target(
        engine=c.engine,
        host=c.address,
        port=c.port,
        tls=c.tls,
        cluster=c.cluster if c.engine != "memcached" else False,
        password=password,
        ca_file=c.ca_file,
        source=source,
        reader_host=c.reader_address,
        reader_port=c.reader_port,
        notes=notes,
        nodes=list(c.nodes),
        resource_type=c.resource_type,
        resource_id=c.resource_id,
        region=region,
        local_users=c.local_users,
    )


def auth_password(c: CacheOutputs, factory: ClientFactory | None) -> str | None:
    """The emulator's ``<P>AuthToken``, else the token in ``<P>AuthSecretArn`` (``None`` without either)."""
    if c.auth_token:
        return c.auth_token
    if c.auth_secret_arn:
        return fetch_auth_token(c.auth_secret_arn, factory=factory, key=f"{c.prefix}AuthSecretArn")
    return None


def target_from_outputs(
    path: str | Path,
    stack: str | None = None,
    cache: str | None = None,
    *,
    factory: ClientFactory | None = None,
    read_secret: bool = True,
) -> Target:
    """Target from a cdk outputs file: pick the stack and cache, take ``AuthToken`` or read the secret.

    ``read_secret=False`` skips Secrets Manager (the caller authenticates otherwise, e.g. with IAM).
    """
    outputs = load_outputs_file(path)
    stack_name, values = select_stack(outputs, stack)
    prefix = select_cache(stack_name, values, cache)
    parsed = parse_cache_outputs(stack_name, values, prefix)
    source = f"--outputs {path} stack {stack_name} cache {prefix}"
    return target_of(parsed, source, auth_password(parsed, factory) if read_secret else parsed.auth_token, [])


def stack_outputs(stack: str, region: str | None, *, factory: ClientFactory | None = None) -> dict[str, str]:
    """``cloudformation:DescribeStacks`` outputs as ``{OutputKey: OutputValue}``."""
    factory = factory or default_factory
    client = factory("cloudformation", region)
    try:
        response = client.describe_stacks(StackName=stack)
    except Exception as exc:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
                raise DiscoveryError(
                    f"--stack {stack!r}: stack not found in region {region or '(default)'} "
                    f"(cloudformation:DescribeStacks: {error.get('Message')})"
                ) from None
        raise client_error(exc, "cloudformation:DescribeStacks", f"stack {stack}") from None
    stacks = response.get("Stacks") or []
    if not stacks:
        raise DiscoveryError(f"--stack {stack!r}: stack not found in region {region or '(default)'}")
    status = stacks[0].get("StackStatus", "")
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stacks[0].get("Outputs") or []}
    if not outputs:
        raise DiscoveryError(f"--stack {stack!r} (status {status}) has no outputs; was it deployed completely?")
    return outputs


def _endpoint(data: Mapping[str, Any] | None) -> tuple[str, int] | None:
    if not data or not data.get("Address"):
        return None
    return str(data["Address"]), int(data.get("Port") or 0)


def resolve_endpoint(c: CacheOutputs, region: str | None, *, factory: ClientFactory | None = None) -> list[str]:
    """Resolve ``c``'s endpoint from ElastiCache by ``<P>ResourceId`` (updates ``c`` in place).

    Returns notes about differences between the stack outputs and the live resource.
    """
    factory = factory or default_factory
    client = factory("elasticache", region)
    notes: list[str] = []
    if c.resource_type == "ReplicationGroup":
        api = "elasticache:DescribeReplicationGroups"
        try:
            groups = client.describe_replication_groups(ReplicationGroupId=c.resource_id)["ReplicationGroups"]
        except Exception as exc:
            raise client_error(exc, api, f"replication group {c.resource_id}") from None
        if not groups:
            raise DiscoveryError(f"{api}: replication group {c.resource_id!r} not found")
        group = groups[0]
        cluster = bool(group.get("ClusterEnabled", c.cluster))
        if cluster:
            primary = _endpoint(group.get("ConfigurationEndpoint"))
            reader = None
        else:
            node_groups = group.get("NodeGroups") or [{}]
            primary = _endpoint(node_groups[0].get("PrimaryEndpoint"))
            reader = _endpoint(node_groups[0].get("ReaderEndpoint"))
        tls = bool(group.get("TransitEncryptionEnabled", c.tls))
        status = group.get("Status", "")
    elif c.resource_type == "ServerlessCache":
        api = "elasticache:DescribeServerlessCaches"
        try:
            caches = client.describe_serverless_caches(ServerlessCacheName=c.resource_id)["ServerlessCaches"]
        except Exception as exc:
            raise client_error(exc, api, f"serverless cache {c.resource_id}") from None
        if not caches:
            raise DiscoveryError(f"{api}: serverless cache {c.resource_id!r} not found")
        serverless = caches[0]
        primary = _endpoint(serverless.get("Endpoint"))
        reader = _endpoint(serverless.get("ReaderEndpoint"))
        cluster, tls, status = c.cluster, True, serverless.get("Status", "")
    else:
        api = "elasticache:DescribeCacheClusters"
        try:
            clusters = client.describe_cache_clusters(CacheClusterId=c.resource_id, ShowCacheNodeInfo=True)[
                "CacheClusters"
            ]
        except Exception as exc:
            raise client_error(exc, api, f"cache cluster {c.resource_id}") from None
        if not clusters:
            raise DiscoveryError(f"{api}: cache cluster {c.resource_id!r} not found")
        cc = clusters[0]
        nodes = [e for e in (_endpoint(n.get("Endpoint")) for n in cc.get("CacheNodes") or []) if e]
        primary = _endpoint(cc.get("ConfigurationEndpoint")) or (nodes[0] if nodes else None)
        reader, cluster, status = None, c.cluster, cc.get("CacheClusterStatus", "")
        tls = bool(cc.get("TransitEncryptionEnabled", c.tls))
        if c.engine == "memcached" and len(nodes) > 1:
            c.nodes = nodes
    if status and status != "available":
        notes.append(f"{c.resource_type} {c.resource_id} status is {status!r} (expected 'available')")
    if primary is None:
        notes.append(f"{api} returned no endpoint for {c.resource_id}; using the stack output {c.address}:{c.port}")
    else:
        if (primary[0], primary[1]) != (c.address, c.port):
            notes.append(f"stack output endpoint {c.address}:{c.port} differs from live {primary[0]}:{primary[1]}")
        c.address, c.port = primary[0], primary[1] or c.port
    if reader is not None:
        c.reader_address, c.reader_port = reader
    if cluster != c.cluster:
        notes.append(f"output {c.prefix}ClusterMode={str(c.cluster).lower()} but the live resource says {cluster}")
        c.cluster = cluster
    if tls != c.tls:
        notes.append(f"output {c.prefix}Tls={str(c.tls).lower()} but the live resource says {tls}")
        c.tls = tls
    return notes


def target_from_stack(
    stack: str,
    region: str | None,
    cache: str | None = None,
    *,
    factory: ClientFactory | None = None,
    read_secret: bool = True,
) -> Target:
    """Target from a deployed stack.

    Outputs via CloudFormation, the token via Secrets Manager (skipped with ``read_secret=False``), the
    endpoint via ElastiCache.
    """
    outputs = stack_outputs(stack, region, factory=factory)
    prefix = select_cache(stack, outputs, cache)
    parsed = parse_cache_outputs(stack, outputs, prefix)
    parsed.region = region
    notes = resolve_endpoint(parsed, region, factory=factory)
    password = auth_password(parsed, factory) if read_secret else None
    return target_of(parsed, f"--stack {stack} --region {region} cache {prefix}", password, notes)
