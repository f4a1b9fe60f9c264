"""The whole app: synthesizes offline, passes cdk-nag, cfn-lint and CDK's template validation, leaks no secret,
and exports the outputs contract for every cache."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint_file

import stacks.nag as nag
from app import build_app

from .helpers import alarm_topic_findings

CONTRACT_SUFFIXES = ("Engine", "ResourceType", "ResourceId", "EndpointAddress", "EndpointPort", "Tls",
                     "ClusterMode", "AuthSecretArn")


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    outdir = tmp_path_factory.mktemp("cdk.out")
    return build_app(cdk.App(outdir=str(outdir))).synth()


@pytest.fixture(scope="module")
def templates(assembly: cdk.cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    return {s.stack_name: s.template for s in assembly.stacks}


def test_every_stack_synthesizes_offline(assembly: cdk.cx_api.CloudAssembly) -> None:
    names = {s.stack_name for s in assembly.stacks}
    assert {"ElastiCacheNetwork", "ElastiCacheSessions", "ElastiCacheLeaderboard"} <= names
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    assert not manifest.get("missing"), "synthesis needed an AWS context lookup"
    for s in assembly.stacks:
        assert s.environment.account == "123456789012"


def test_no_warning_or_error_annotations(assembly: cdk.cx_api.CloudAssembly) -> None:
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    found = [
        (path, entry["data"])
        for artifact in manifest["artifacts"].values()
        for path, entries in artifact.get("metadata", {}).items()
        for entry in entries
        if entry["type"] in ("aws:cdk:warning", "aws:cdk:error")
    ]
    assert found == []


def test_cdk_template_validation_and_cdk_nag_report_nothing(assembly: cdk.cx_api.CloudAssembly) -> None:
    """CDK's built-in CloudFormation validation and the cdk-nag plugin write here; synth raises on errors."""
    report = Path(assembly.directory) / "validation-report.json"
    if report.exists():
        assert json.loads(report.read_text())["pluginReports"] == []


def test_cdk_nag_is_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: without the acknowledgements the same app fails synthesis on AwsSolutions errors."""
    monkeypatch.setattr(nag, "CACHE_ACKNOWLEDGEMENTS", {})
    with pytest.raises(Exception, match=r"ValidationFailed: ERROR .*\(AwsSolutions\)") as err:
        build_app(cdk.App(outdir=str(tmp_path))).synth()
    assert "AwsSolutions-SMG4" in str(err.value)


def test_every_acknowledgement_has_a_reason() -> None:
    for rule, reason in nag.CACHE_ACKNOWLEDGEMENTS.items():
        assert rule.startswith("AwsSolutions-") and len(reason) > 40


def test_cfn_lint_reports_no_error(assembly: cdk.cx_api.CloudAssembly) -> None:
    for s in assembly.stacks:
        matches = lint_file(Path(assembly.directory) / s.template_file, config=ManualArgs(regions=[s.environment.region]))
        errors = [str(m) for m in matches if m.rule.id.startswith("E")]
        assert errors == [], s.stack_name


def test_no_secret_value_in_any_template(templates: dict[str, dict[str, Any]]) -> None:
    for name, tmpl in templates.items():
        text = json.dumps(tmpl)
        for res in tmpl["Resources"].values():
            props = res.get("Properties", {})
            for key in ("AuthToken", "Passwords"):
                if key in props:
                    assert "{{resolve:secretsmanager:" in json.dumps(props[key]), (name, key)
            if res["Type"] == "AWS::SecretsManager::Secret":
                assert "SecretString" not in props, f"{name}: a secret with a literal value"
        assert not re.search(r'"AuthToken":\s*"[^{]', text), name


def test_each_cache_exports_the_outputs_contract(templates: dict[str, dict[str, Any]]) -> None:
    sessions = templates["ElastiCacheSessions"]["Outputs"]
    board = templates["ElastiCacheLeaderboard"]["Outputs"]
    for suffix in CONTRACT_SUFFIXES:
        assert f"Sessions{suffix}" in sessions and f"Leaderboard{suffix}" in board
    assert sessions["SessionsTls"]["Value"] == "true" and sessions["SessionsClusterMode"]["Value"] == "false"
    assert board["LeaderboardClusterMode"]["Value"] == "true"
    assert sessions["SessionsEngine"]["Value"] == board["LeaderboardEngine"]["Value"] == "valkey"
    for tmpl in templates.values():
        for key in tmpl.get("Outputs", {}):
            if key.endswith("EndpointAddress") and not key.endswith("ReaderEndpointAddress"):
                prefix = key[: -len("EndpointAddress")]
                missing = [s for s in CONTRACT_SUFFIXES if f"{prefix}{s}" not in tmpl["Outputs"]]
                assert missing == [], (prefix, missing)


def test_use_case_settings(templates: dict[str, dict[str, Any]]) -> None:
    def rg(stack: str) -> dict[str, Any]:
        res = templates[stack]["Resources"]
        return next(r["Properties"] for r in res.values() if r["Type"] == "AWS::ElastiCache::ReplicationGroup")

    def policy(stack: str) -> str:
        res = templates[stack]["Resources"]
        pg = next(r["Properties"] for r in res.values() if r["Type"] == "AWS::ElastiCache::ParameterGroup")
        return str(pg["Properties"]["maxmemory-policy"])

    assert rg("ElastiCacheSessions")["NumCacheClusters"] == 3 and policy("ElastiCacheSessions") == "volatile-lru"
    board = rg("ElastiCacheLeaderboard")
    assert board["ClusterMode"] == "enabled" and board["NumNodeGroups"] == 3
    assert policy("ElastiCacheLeaderboard") == "noeviction"


def test_network_has_only_isolated_subnets(templates: dict[str, dict[str, Any]]) -> None:
    res = templates["ElastiCacheNetwork"]["Resources"]
    types = {r["Type"] for r in res.values()}
    assert "AWS::EC2::InternetGateway" not in types and "AWS::EC2::NatGateway" not in types
    assert "AWS::EC2::FlowLog" in types
    subnets = [r for r in res.values() if r["Type"] == "AWS::EC2::Subnet"]
    assert len(subnets) == 3 and all(r["Properties"]["MapPublicIpOnLaunch"] is False for r in subnets)
    # AZs come from Fn::GetAZs: no hard-coded zone, no account lookup.
    assert all("Fn::GetAZs" in json.dumps(r["Properties"]["AvailabilityZone"]) for r in subnets)


def test_existing_vpc_from_context(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={
        "vpc_id": "vpc-0123456789abcdef0", "availability_zones": "eu-west-1a,eu-west-1b",
        "vpc_subnet_ids": "subnet-aaaa,subnet-bbbb", "region": "eu-west-1"})
    asm = build_app(app).synth()
    network = asm.get_stack_by_name("ElastiCacheNetwork").template
    assert not any(r["Type"] == "AWS::EC2::VPC" for r in network.get("Resources", {}).values())
    sessions = asm.get_stack_by_name("ElastiCacheSessions").template
    subnet_group = next(r for r in sessions["Resources"].values() if r["Type"] == "AWS::ElastiCache::SubnetGroup")
    assert subnet_group["Properties"]["SubnetIds"] == ["subnet-aaaa", "subnet-bbbb"]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"vpc_id": "vpc-1"}, r"context vpc_id needs availability_zones"),
        ({"vpc_id": "vpc-1", "availability_zones": "us-east-1a,us-east-1b", "vpc_subnet_ids": "subnet-a"},
         r"context vpc_subnet_ids: got 1 subnet ids for 2 availability_zones"),
    ],
)
def test_invalid_context(context: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_app(cdk.App(context=context))


# --- what a real deploy needs beyond a clean template (issue 13) -------------------------------------------
def test_every_alarm_notifies_a_topic_that_lets_cloudwatch_publish(templates: dict[str, dict[str, Any]]) -> None:
    """A topic policy replaces SNS's default one: with only enforce_ssl's Deny, notifications are refused."""
    alarmed = []
    for name, tmpl in templates.items():
        assert alarm_topic_findings(tmpl) == [], name
        res = tmpl["Resources"].values()
        if any(r["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
               and r["Properties"].get("AlarmActions") for r in res):
            alarmed.append(name)
            topics = [r for r in res if r["Type"] == "AWS::SNS::Topic"]
            assert topics and all("KmsMasterKeyId" in t["Properties"] for t in topics), name
    assert sorted(alarmed) == ["ElastiCacheLeaderboard", "ElastiCacheSessions"]


def test_leaderboard_auto_scales_one_dimension_on_one_metric(templates: dict[str, dict[str, Any]]) -> None:
    """ElastiCache's auto scaling best practices: one tracking metric; database capacity works best with
    noeviction; scale-in may start disabled. No replica scalable target."""
    res = templates["ElastiCacheLeaderboard"]["Resources"].values()
    targets = [r["Properties"] for r in res if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    assert [(t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("elasticache:replication-group:NodeGroups", 3, 6)]
    (policy,) = [r["Properties"] for r in res if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage")
    assert (config["TargetValue"], config["DisableScaleIn"]) == (60, True)
    # alarms watch every member up to 6 shards x (1 replica + primary)
    dims = {json.dumps(d["Value"]) for r in res if r["Type"] == "AWS::CloudWatch::Alarm"
            for q in r["Properties"].get("Metrics", []) if "MetricStat" in q for d in q["MetricStat"]["Metric"]["Dimensions"]}
    assert {re.search(r"-\d{4}-\d{3}", d).group(0) for d in dims} == {  # type: ignore[union-attr]
        f"-{s:04d}-{n:03d}" for s in range(1, 7) for n in (1, 2)}


def test_log_delivery_groups_are_under_aws_vendedlogs(templates: dict[str, dict[str, Any]]) -> None:
    found = 0
    for tmpl in templates.values():
        res = tmpl["Resources"]
        delivered = {c["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"]["Ref"]
                     for r in res.values() if r["Type"] == "AWS::ElastiCache::ReplicationGroup"
                     for c in r["Properties"].get("LogDeliveryConfigurations", [])}
        for logical in delivered:
            name = res[logical]["Properties"]["LogGroupName"]
            assert name["Fn::Join"][1][0].startswith("/aws/vendedlogs/elasticache/"), logical
            found += 1
    assert found == 4  # sessions and leaderboard: slow log and engine log each


def test_client_security_groups_reach_their_cache_on_its_ports(templates: dict[str, dict[str, Any]]) -> None:
    """The application-tier groups deny all outbound by default, so each needs an egress rule to the cache on the
    same ports the cache's group lets it in on: 6379 (Valkey), 6379-6380 (serverless: endpoint and reader),
    11211 (Memcached)."""
    expected = {"ElastiCacheSessions": (6379, 6379), "ElastiCacheLeaderboard": (6379, 6379),
                "ElastiCacheCatalog": (6379, 6380), "ElastiCachePageCache": (11211, 11211),
                "ElastiCacheGlobalPrimary": (6379, 6379), "ElastiCacheGlobalSecondary": (6379, 6379)}
    for stack, ports in expected.items():
        res = templates[stack]["Resources"]
        (clients,) = [k for k, r in res.items() if r["Type"] == "AWS::EC2::SecurityGroup" and k.startswith("Clients")]
        ingress = [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
                   and r["Properties"].get("SourceSecurityGroupId") == {"Fn::GetAtt": [clients, "GroupId"]}]
        egress = [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"
                  and r["Properties"].get("GroupId") == {"Fn::GetAtt": [clients, "GroupId"]}]
        assert [(i["FromPort"], i["ToPort"]) for i in ingress] == [ports], stack
        assert [(e["FromPort"], e["ToPort"]) for e in egress] == [ports], stack
        assert egress[0]["DestinationSecurityGroupId"] == ingress[0]["GroupId"], stack
