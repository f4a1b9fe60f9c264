"""CloudFormation outputs that tell a client how to connect (see docs/outputs-contract.md)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .endpoint import Endpoint


@dataclass(frozen=True)
class ConnectionInfo:
    """Everything a client needs, in the outputs contract's terms."""

    engine: str
    resource_type: str
    resource_id: str
    endpoint: Endpoint
    tls: bool
    cluster_mode: bool
    auth_secret: secretsmanager.ISecret | None = None
    reader_endpoint: Endpoint | None = None


def add_connection_outputs(scope: Construct, prefix: str, info: ConnectionInfo) -> dict[str, CfnOutput]:
    """Create the contract's outputs ``<prefix><Suffix>`` at the level of ``scope``'s stack.

    Stack-level outputs keep their IDs unhashed, so ``cdk deploy --outputs-file`` writes exactly these keys.
    """
    stack = Stack.of(scope)
    values: dict[str, str] = {
        "Engine": info.engine,
        "ResourceType": info.resource_type,
        "ResourceId": info.resource_id,
        "EndpointAddress": info.endpoint.hostname,
        "EndpointPort": info.endpoint.port_as_string,
        "Tls": "true" if info.tls else "false",
        "ClusterMode": "true" if info.cluster_mode else "false",
        "AuthSecretArn": info.auth_secret.secret_arn if info.auth_secret else "none",
    }
    if info.reader_endpoint is not None:
        values["ReaderEndpointAddress"] = info.reader_endpoint.hostname
        values["ReaderEndpointPort"] = info.reader_endpoint.port_as_string
    descriptions = {
        "EndpointAddress": "Host clients connect to",
        "AuthSecretArn": "Secrets Manager secret holding the AUTH token ('none' without one)",
        "ClusterMode": "Use a cluster-aware client when 'true'",
        "Tls": "Clients connect with TLS when 'true'",
    }
    return {
        suffix: CfnOutput(stack, f"{prefix}{suffix}", value=value, description=descriptions.get(suffix))
        for suffix, value in values.items()
    }


class ConnectionOutputsMixin:
    """Gives a cache construct ``add_connection_outputs()``; the construct implements ``connection_info()``."""

    def connection_info(self) -> ConnectionInfo:
        """The outputs contract's view of this cache."""
        raise NotImplementedError

    def add_connection_outputs(self, prefix: str | None = None) -> None:
        """Export what a client needs as stack outputs ``<prefix>EndpointAddress`` etc. Default prefix: the id."""
        assert isinstance(self, Construct), "ConnectionOutputsMixin is for constructs"
        add_connection_outputs(self, prefix or self.node.id, self.connection_info())
