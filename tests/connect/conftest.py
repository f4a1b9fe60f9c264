"""The connect tests use the AWS tests' offline credentials (moto, never a real account)."""

from __future__ import annotations

from tests.aws.conftest import fake_aws_credentials

__all__ = ["fake_aws_credentials"]
