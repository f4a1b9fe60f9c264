"""Restore and seed: create a replication group from an ElastiCache snapshot or from RDB files in S3.

Seeding from S3 is how a self-managed Valkey/Redis OSS moves to ElastiCache: upload its ``dump.rdb`` to a bucket
in the cache's region and create the group with ``restore_from=Restore.s3(bucket, "dump.rdb")``.
Source: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-seeding-redis.html

The restore source is create-only (``SnapshotName`` / ``SnapshotArns`` in the CloudFormation registry schema):
changing or removing it after the first deployment replaces the group and loses its data. The constructs warn
about it at synth time (``change_safety``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._validation import fail, implements, is_unresolved

#: Longest snapshot name accepted (automatic ones look like ``automatic.<group>-<date>``).
MAX_SNAPSHOT_NAME_LENGTH = 255
#: Actions ElastiCache needs on the bucket and the .rdb objects to seed a cluster (seeding tutorial, step 3).
SEED_ACTIONS = ("s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl")


@dataclass(frozen=True)
class Restore:
    """Where a new replication group's data comes from. Use ``Restore.snapshot()`` or ``Restore.s3()``."""

    kind: str
    snapshot_name: str | None = None
    bucket: Any = None
    keys: tuple[str, ...] = ()

    @classmethod
    def snapshot(cls, name: str) -> Restore:
        """An ElastiCache snapshot (manual or automatic backup) of this account and region, by name
        (``SnapshotName``)."""
        if not is_unresolved(name):
            if not isinstance(name, str) or not 1 <= len(name) <= MAX_SNAPSHOT_NAME_LENGTH:
                raise fail("restore_from", name, f"a snapshot name is 1-{MAX_SNAPSHOT_NAME_LENGTH} characters")
            if name.startswith("arn:"):
                raise fail("restore_from", name, "pass the snapshot name, not an ARN (RDB files in S3: Restore.s3)")
        return cls("snapshot", snapshot_name=name)

    @classmethod
    def s3(cls, bucket: s3.IBucket, *keys: str) -> Restore:
        """RDB files in an S3 bucket of the cache's region (``SnapshotArns``): one file, or one per shard of the
        source cluster. The bucket gets the read access ElastiCache documents for seeding (a bucket-policy
        statement for the region's ``elasticache-snapshot`` service principal: ``s3:GetObject``, ``s3:ListBucket``,
        ``s3:GetBucketAcl``); for an imported bucket add that statement yourself (a synth warning says so)."""
        if not implements(bucket, s3.IBucket):
            raise fail("restore_from", bucket, "Restore.s3 needs an s3.IBucket (s3.Bucket.from_bucket_name(...))")
        if not keys:
            raise fail("restore_from", [], "Restore.s3 needs at least one object key, e.g. 'backups/dump.rdb'")
        for key in keys:
            if is_unresolved(key):
                continue
            if not isinstance(key, str) or not key or key.startswith(("arn:", "s3://", "/")):
                raise fail("restore_from", key, "pass object keys inside the bucket, e.g. 'backups/dump.rdb'")
            if "," in key:
                # SnapshotArns: "The Amazon S3 object name in the ARN cannot contain any commas."
                # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html
                raise fail("restore_from", key, "S3 object names used for seeding cannot contain commas")
        return cls("s3", bucket=bucket, keys=tuple(keys))

    @property
    def is_s3(self) -> bool:
        """True for RDB files in S3 (seeding)."""
        return self.kind == "s3"

    def bind(self, scope: Construct) -> dict[str, Any]:
        """The CloudFormation properties (``snapshot_name`` / ``snapshot_arns``); grants the bucket read access."""
        if self.kind == "snapshot":
            return {"snapshot_name": self.snapshot_name}
        bucket: s3.IBucket = self.bucket
        arns = [bucket.arn_for_objects(key) for key in self.keys]
        statement = iam.PolicyStatement(
            actions=list(SEED_ACTIONS),
            principals=[iam.ServicePrincipal(f"{Aws.REGION}.elasticache-snapshot.amazonaws.com")],
            resources=[bucket.bucket_arn, *arns],
        )
        result = bucket.add_to_resource_policy(statement)
        if not result.statement_added:
            Annotations.of(scope).add_warning_v2(
                "elasticache-constructs:seedBucketPolicy",
                f"restore_from: bucket {bucket.node.path} is imported, so its policy cannot be changed here; grant "
                f"{Stack.of(scope).region}.elasticache-snapshot.amazonaws.com {', '.join(SEED_ACTIONS)} on it "
                "(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-seeding-redis.html)",
            )
        return {"snapshot_arns": arns}


def validate_restore(restore_from: Any) -> Restore | None:
    """``None`` or a ``Restore``."""
    if restore_from is None or isinstance(restore_from, Restore):
        return restore_from
    raise fail("restore_from", restore_from, "pass Restore.snapshot('name') or Restore.s3(bucket, 'dump.rdb')")


__all__ = ["SEED_ACTIONS", "Restore", "validate_restore"]
