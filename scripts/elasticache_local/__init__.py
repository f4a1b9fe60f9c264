"""Local emulation of a synthesized CDK app's ElastiCache resources with real server processes.

``python scripts/local.py up`` reads a cloud assembly (``cdk.out``), plans one local topology per ElastiCache
resource (replication groups with and without cluster mode, serverless caches, Memcached clusters, global
datastore secondaries), starts real ``redis-server`` / ``redis-sentinel`` / ``memcached`` processes on free loopback
ports and writes an outputs file in the ``cdk deploy --outputs-file`` format (see ``docs/outputs-contract.md``).

Modules: :mod:`.assembly` (manifest, templates, synth), :mod:`.intrinsics` (CloudFormation functions),
:mod:`.secrets_store` (local secret values), :mod:`.planner` / :mod:`.model` (template -> topology plan),
:mod:`.nodetypes` (memory scale), :mod:`.acl` (access strings), :mod:`.tlsgen` (local CA), :mod:`.configs`
(server configs), :mod:`.runtime` (processes), :mod:`.cluster` (sub-second cluster bootstrap), :mod:`.proxy`
(stable endpoints of Sentinel groups), :mod:`.commands` (``up``/``status``/``down``), :mod:`.failover` (drills),
:mod:`.demo`, :mod:`.cli`.
"""

from .errors import EmulatorError

__all__ = ["EmulatorError"]
