"""Stacks of the deployable app: the guide's use cases built with ``elasticache_constructs``."""

from .app_config import AppConfig
from .global_datastore import GlobalPrimaryStack, GlobalSecondaryStack, add_global_datastore_stacks
from .leaderboard import LeaderboardStack
from .network import NetworkStack
from .page_cache import PageCacheStack
from .serverless_cache import ServerlessCacheStack
from .session_store import SessionStoreStack

__all__ = [
    "AppConfig",
    "GlobalPrimaryStack",
    "GlobalSecondaryStack",
    "LeaderboardStack",
    "NetworkStack",
    "PageCacheStack",
    "ServerlessCacheStack",
    "SessionStoreStack",
    "add_global_datastore_stacks",
]
