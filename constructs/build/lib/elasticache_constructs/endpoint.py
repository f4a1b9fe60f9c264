"""Connection endpoints of caches."""

from __future__ import annotations

from aws_cdk import Token


class Endpoint:
    """A host and port clients connect to.

    :param address: DNS name (often a token resolved by CloudFormation).
    :param port: port number, or a string token from a ``Fn::GetAtt``.
    """

    def __init__(self, address: str, port: int | str) -> None:
        self.hostname = address
        self.port: int = int(Token.as_number(port)) if isinstance(port, str) else port
        #: The port as a string (handy for CloudFormation outputs).
        if isinstance(port, str):
            self.port_as_string: str = port
        elif Token.is_unresolved(port):
            self.port_as_string = Token.as_string(port)
        else:
            self.port_as_string = str(port)
        #: ``host:port``.
        self.socket_address = f"{address}:{self.port_as_string}"
