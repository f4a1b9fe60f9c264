"""Building blocks for template-assertion tests (synthesis is slow: build once per module)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

ENV = cdk.Environment(account="123456789012", region="us-east-1")


def new_stack(app: cdk.App | None = None, id: str = "Test", env: cdk.Environment = ENV) -> cdk.Stack:
    """A stack in a fixed environment with explicit AZs (no lookups)."""
    app = app or cdk.App()
    stack = cdk.Stack(app, id, env=env)
    return stack


def new_vpc(stack: cdk.Stack, azs: int = 3) -> ec2.Vpc:
    """A VPC with isolated subnets in ``azs`` explicit zones of the stack's region."""
    region = stack.region
    return ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=[f"{region}{c}" for c in "abcdef"[:azs]],
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )


def template(stack: cdk.Stack) -> Template:
    """Synthesize ``stack`` and return its template for assertions."""
    return Template.from_stack(stack)


def resources(tmpl: Template, type_: str) -> dict[str, Any]:
    """All resources of a CloudFormation type: logical id -> resource."""
    return dict(tmpl.find_resources(type_))


def only(tmpl: Template, type_: str) -> tuple[str, dict[str, Any]]:
    """The single resource of ``type_`` (asserts there is exactly one)."""
    found = resources(tmpl, type_)
    assert len(found) == 1, f"expected one {type_}, found {list(found)}"
    return next(iter(found.items()))


def props(tmpl: Template, type_: str) -> dict[str, Any]:
    """Properties of the single resource of ``type_``."""
    return dict(only(tmpl, type_)[1].get("Properties", {}))


def synth_with_nag(build: Callable[[cdk.App], None]) -> cdk.cx_api.CloudAssembly:
    """Build an app with cdk-nag AwsSolutions registered and synthesize it; raises on unacknowledged errors."""
    app = cdk.App()
    build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app.synth()


def template_json(stack: cdk.Stack) -> str:
    """The synthesized template as text (for searching for leaked values)."""
    return json.dumps(template(stack).to_json())


def props_of(tmpl: Template, type_: str, prefix: str) -> dict[str, Any]:
    """Properties of the first resource of ``type_`` whose logical id starts with ``prefix`` (a construct id)."""
    for logical_id, res in tmpl.find_resources(type_).items():
        if logical_id.startswith(prefix):
            return dict(res.get("Properties", {}))
    raise AssertionError(f"no {type_} with a logical id starting with {prefix}")


def alarm_topic_findings(template: dict[str, Any]) -> list[str]:
    """Problems with how ``template``'s alarms notify: every AlarmActions/OKActions entry of every (composite)
    alarm must be a topic of the template whose policy has (1) an Allow of ``sns:Publish`` for
    ``cloudwatch.amazonaws.com`` conditioned on ``aws:SourceAccount`` and ``aws:SourceArn`` (this account's
    alarms) and (2) the TLS-only Deny (``aws:SecureTransport`` false). Empty when all is well."""
    resources = template.get("Resources", {})
    good: set[str] = set()
    problems: list[str] = []
    for logical, res in resources.items():
        if res["Type"] != "AWS::SNS::TopicPolicy":
            continue
        statements = res["Properties"]["PolicyDocument"]["Statement"]
        allow = [s for s in statements if s["Effect"] == "Allow"
                 and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
                 and "sns:Publish" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                 and "aws:SourceAccount" in s.get("Condition", {}).get("StringEquals", {})
                 and "aws:SourceArn" in s.get("Condition", {}).get("ArnLike", {})]
        deny = [s for s in statements if s["Effect"] == "Deny"
                and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
        topics = [t["Ref"] for t in res["Properties"]["Topics"] if isinstance(t, dict) and "Ref" in t]
        if allow and deny:
            good.update(topics)
        else:
            problems.append(f"{logical}: allow-cloudwatch={bool(allow)} tls-deny={bool(deny)} for {topics}")
    for logical, res in resources.items():
        if res["Type"] not in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            continue
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in res["Properties"].get(key, []):
                ref = action.get("Ref") if isinstance(action, dict) else None
                if ref not in good:
                    problems.append(f"{logical}.{key}: {json.dumps(action)} is not a topic that allows CloudWatch")
    return problems
