#!/usr/bin/env python3
"""The deployable CDK app: the guide's ElastiCache use cases. ``cdk synth`` works offline (placeholder account)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks import (
    AppConfig,
    LeaderboardStack,
    NetworkStack,
    PageCacheStack,
    ServerlessCacheStack,
    SessionStoreStack,
    add_global_datastore_stacks,
)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Every stack of the app, with cdk-nag's AwsSolutions checks registered."""
    app = app or cdk.App()
    config = AppConfig.from_context(app.node)
    network = NetworkStack(app, "ElastiCacheNetwork", config=config)
    SessionStoreStack(app, "ElastiCacheSessions", config=config, vpc=network.vpc)
    LeaderboardStack(app, "ElastiCacheLeaderboard", config=config, vpc=network.vpc)
    ServerlessCacheStack(app, "ElastiCacheCatalog", config=config, vpc=network.vpc)
    PageCacheStack(app, "ElastiCachePageCache", config=config, vpc=network.vpc)
    add_global_datastore_stacks(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()
