"""``--failover``: the probe's figures against the local emulator's failover drill (real Sentinel / cluster
failovers), and the ``TestFailover`` path with botocore's Stubber because moto 5.2 does not implement
``TestFailover`` (``describe_replication_groups`` is stubbed in the same test because one stubbed client serves
both calls). Refusals for serverless, Memcached and unconfirmed runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from elasticache_connect import Target, UsageError, resolve_target
from elasticache_smoke.cli import main
from elasticache_smoke.failover import aws_trigger, check_failover_allowed, local_trigger, run_failover
from tests.emulator.conftest import Running, requires_servers, running, sentinel_story


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("sentinel", tmp_path_factory.mktemp("fo-sentinel")) as env:
        yield env


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("cluster3", tmp_path_factory.mktemp("fo-cluster")) as env:
        yield env


def _assert_figures_consistent(figures: dict[str, Any]) -> None:
    assert figures["ok"] is True, figures
    assert figures["lost"] == 0
    assert 0 < figures["acknowledged"] <= figures["writes"]
    assert figures["time_to_recover_seconds"] is not None
    # the error window lies inside the time from the trigger to recovery
    assert 0 <= figures["error_window_seconds"] <= figures["time_to_recover_seconds"] + 0.05


@pytest.mark.live
@requires_servers
def test_probe_through_the_emulator_s_sentinel_failover(sessions: Running, tmp_path: Path) -> None:
    report = tmp_path / "failover.json"
    code = main(["--outputs", str(sessions.outputs_file), "--stack", "Sessions", "--failover", "--confirm-failover",
                 "--local-state", str(sessions.state_dir), "--json", str(report)])
    figures = json.loads(report.read_text())["failover"]
    assert code == 0, figures
    _assert_figures_consistent(figures)
    assert figures["errors"] > 0  # the primary really went away under the probe


@pytest.mark.live
@requires_servers
def test_probe_through_the_emulator_s_cluster_failover(board: Running) -> None:
    target = resolve_target(outputs_file=board.outputs_file)
    result = run_failover(target, local_trigger(target, 2, board.state_dir), cluster=True, shard=2,
                          log=lambda _l: None)
    _assert_figures_consistent(result.as_dict())


@pytest.mark.live
@requires_servers
@pytest.mark.parametrize("env_name", ["sessions", "board"])
def test_connect_s_default_retries_ride_through_a_failover(env_name: str, request: pytest.FixtureRequest) -> None:
    """An application using connect()'s defaults sees no error while the emulator fails its primary over."""
    import threading
    import time
    import traceback

    from elasticache_connect import connect

    env: Running = request.getfixturevalue(env_name)
    client = connect(outputs_file=env.outputs_file)
    target = resolve_target(outputs_file=env.outputs_file)
    errors: list[BaseException] = []
    tb: list[str] = []
    done = threading.Event()
    ops = [0]

    def app() -> None:
        while not done.is_set():
            try:
                key = f"{{app}}:{ops[0]}"
                client.set(key, "v")
                assert client.get(key) == "v"
                client.delete(key)
                ops[0] += 1
            except Exception as exc:  # what an application would see
                errors.append(exc)
                tb.append(traceback.format_exc())

    worker = threading.Thread(target=app)
    worker.start()
    try:
        shard = 1
        if target.cluster:  # fail over the shard that owns the app's keys
            slot = client.keyslot("{app}")
            ranges = sorted(client.cluster_slots())
            shard = 1 + sorted({r[0] for r in ranges}).index(max(r[0] for r in ranges if r[0] <= slot))
        local_trigger(target, shard, env.state_dir)(lambda _l: None)
        before = ops[0]
        deadline = time.monotonic() + 10
        while ops[0] < before + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        worker.join(timeout=30)
        client.close()
    if errors:
        print(tb[0], sentinel_story(env))  # the failover's story, in the captured output
    assert errors == []
    assert ops[0] > 20


GROUP = {"ReplicationGroupId": "sessions-rg", "Status": "available", "ReplicationGroups": []}


def test_test_failover_is_called_for_the_node_group_and_waits_for_available() -> None:
    """Stubber: moto 5.2 has no TestFailover (and the same client answers DescribeReplicationGroups)."""
    client = boto3.client("elasticache", region_name="eu-west-1")
    stub = Stubber(client)
    stub.add_response("test_failover", {"ReplicationGroup": {"ReplicationGroupId": "sessions-rg"}},
                      {"ReplicationGroupId": "sessions-rg", "NodeGroupId": "0002"})
    stub.add_response("describe_replication_groups",
                      {"ReplicationGroups": [{"ReplicationGroupId": "sessions-rg", "Status": "available"}]},
                      {"ReplicationGroupId": "sessions-rg"})
    target = Target("valkey", "master.sessions-rg.x.euw1.cache.amazonaws.com", 6379, tls=True,
                    resource_type="ReplicationGroup", resource_id="sessions-rg", region="eu-west-1")
    log: list[str] = []
    with stub:
        aws_trigger(target, 2, factory=lambda _s, _r: client)(log.append)
    stub.assert_no_pending_responses()
    assert log == ["TestFailover requested for sessions-rg node group 0002", "sessions-rg is available again"]


def test_test_failover_access_denied_names_the_permission() -> None:
    client = boto3.client("elasticache", region_name="eu-west-1")
    stub = Stubber(client)
    stub.add_client_error("test_failover", "AccessDenied", "not authorized")
    target = Target("valkey", "h.cache.amazonaws.com", 6379, resource_type="ReplicationGroup",
                    resource_id="rg", region="eu-west-1")
    with stub, pytest.raises(Exception, match="the caller needs permission elasticache:TestFailover"):
        aws_trigger(target, 1, factory=lambda _s, _r: client)(lambda _l: None)


def _target(**overrides: Any) -> Target:
    base: dict[str, Any] = {"engine": "valkey", "host": "h.cache.amazonaws.com", "port": 6379,
                            "resource_type": "ReplicationGroup", "resource_id": "rg", "region": "eu-west-1"}
    base.update(overrides)
    return Target(**base)


@pytest.mark.parametrize(
    ("target", "confirmed", "message"),
    [
        (_target(resource_type="ServerlessCache"), True, "a serverless cache has no TestFailover"),
        (_target(engine="memcached", resource_type="CacheCluster"), True, "Memcached has no replicas"),
        (_target(), False, "disrupts clients of rg; add --confirm-failover"),
        (_target(resource_id=None, resource_type=None), True, "needs a replication group from --outputs or --stack"),
    ],
)
def test_failover_refusals(target: Target, confirmed: bool, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_failover_allowed(target, confirmed)


def test_failover_of_a_loopback_endpoint_needs_the_local_state() -> None:
    with pytest.raises(UsageError, match=r"127.0.0.1 is not a deployed ElastiCache endpoint; .* --local-state DIR"):
        aws_trigger(_target(host="127.0.0.1"), 1)
