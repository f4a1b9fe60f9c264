"""restore_from: Restore.snapshot -> SnapshotName, Restore.s3 -> SnapshotArns with the documented bucket read
access, cluster-mode S3 seeds get NodeGroupConfiguration, the create-only warning, and invalid inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from elasticache_constructs import ReplicationGroup, Restore, ShardedReplicationGroup, ValidationError

from .helpers import new_stack, new_vpc
from .helpers import props_of as _props

RG = "AWS::ElastiCache::ReplicationGroup"



@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    stack = new_stack()
    vpc = new_vpc(stack)
    bucket = s3.Bucket(stack, "Seeds", enforce_ssl=True)
    ReplicationGroup(stack, "Plain", vpc=vpc)
    ReplicationGroup(stack, "FromSnapshot", vpc=vpc, restore_from=Restore.snapshot("automatic.sessions-2026-12-01"))
    ReplicationGroup(stack, "FromS3", vpc=vpc, restore_from=Restore.s3(bucket, "migrate/dump.rdb"))
    ShardedReplicationGroup(stack, "ShardsFromS3", vpc=vpc, shards=2,
                            restore_from=Restore.s3(bucket, "a.rdb", "b.rdb"))
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "existing-seeds")
    ReplicationGroup(stack, "FromImported", vpc=vpc, restore_from=Restore.s3(imported, "dump.rdb"))
    return stack


@pytest.fixture(scope="module")
def tmpl(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def test_default_has_no_restore_source(tmpl: Template) -> None:
    props = _props(tmpl, RG, "Plain")
    assert "SnapshotName" not in props and "SnapshotArns" not in props


def test_snapshot_maps_to_snapshot_name(tmpl: Template) -> None:
    props = _props(tmpl, RG, "FromSnapshot")
    assert props["SnapshotName"] == "automatic.sessions-2026-12-01" and "SnapshotArns" not in props


def test_s3_maps_to_object_arns(tmpl: Template) -> None:
    arns = json.dumps(_props(tmpl, RG, "FromS3")["SnapshotArns"])
    assert "/migrate/dump.rdb" in arns and "Seeds" in arns


def test_bucket_gets_the_documented_seed_read_access(tmpl: Template) -> None:
    policy = next(iter(tmpl.find_resources("AWS::S3::BucketPolicy").values()))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    seed = [s for s in statements if "elasticache-snapshot.amazonaws.com" in json.dumps(s.get("Principal"))]
    assert len(seed) == 2  # one per seeded group
    for statement in seed:
        assert sorted(statement["Action"]) == ["s3:GetBucketAcl", "s3:GetObject", "s3:ListBucket"]
        assert "AWS::Region" in json.dumps(statement["Principal"])
    resources = json.dumps([s["Resource"] for s in seed])
    for key in ("migrate/dump.rdb", "a.rdb", "b.rdb"):
        assert key in resources


def test_cluster_mode_s3_seed_lists_every_shard_with_slots(tmpl: Template) -> None:
    props = _props(tmpl, RG, "ShardsFromS3")
    assert [ng["Slots"] for ng in props["NodeGroupConfiguration"]] == ["0-8191", "8192-16383"]
    assert "ReplicasPerNodeGroup" not in props
    assert len(props["SnapshotArns"]) == 2


def test_restore_source_warns_that_it_is_create_only(stack: cdk.Stack) -> None:
    warnings = Annotations.from_stack(stack).find_warning(
        "/Test/FromSnapshot", Match.string_like_regexp("restore-source-create-only|restore_from=snapshot.*Fix: Keep")
    )
    assert warnings and "Fix: Keep restore_from exactly as it was" in str(warnings[0].entry.data)


def test_imported_bucket_warns_to_grant_access_yourself(stack: cdk.Stack) -> None:
    warnings = Annotations.from_stack(stack).find_warning("/Test/FromImported", Match.string_like_regexp("imported"))
    assert warnings and "elasticache-snapshot.amazonaws.com" in str(warnings[0].entry.data)


def _bucket(stack: cdk.Stack) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(stack, "B", "seed-bucket")


INVALID: list[tuple[str, Callable[[cdk.Stack], Any], str]] = [
    ("snapshot arn", lambda s: Restore.snapshot("arn:aws:elasticache:us-east-1:1:snapshot:x"),
     "restore_from: got 'arn:aws:elasticache:us-east-1:1:snapshot:x'; pass the snapshot name, not an ARN"),
    ("empty snapshot", lambda s: Restore.snapshot(""), "restore_from: got ''; a snapshot name is 1-255 characters"),
    ("no keys", lambda s: Restore.s3(_bucket(s)), "restore_from: got []; Restore.s3 needs at least one object key"),
    ("s3 url key", lambda s: Restore.s3(_bucket(s), "s3://seed-bucket/dump.rdb"),
     "restore_from: got 's3://seed-bucket/dump.rdb'; pass object keys inside the bucket"),
    ("comma in key", lambda s: Restore.s3(_bucket(s), "a,b.rdb"),
     "restore_from: got 'a,b.rdb'; S3 object names used for seeding cannot contain commas"),
    ("bucket name", lambda s: Restore.s3("my-bucket", "dump.rdb"),  # type: ignore[arg-type]
     "restore_from: got 'my-bucket'; Restore.s3 needs an s3.IBucket"),
    ("not a Restore", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s), restore_from="snap"),  # type: ignore[arg-type]
     "restore_from: got 'snap'; pass Restore.snapshot('name') or Restore.s3(bucket, 'dump.rdb')"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_restore(build: Callable[[cdk.Stack], Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        build(new_stack())
    assert message in str(err.value)
