"""Reads template.yaml, so that the local stack routes exactly what SAM deploys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_finance.devstack.paths import repo_root


class _CfnLoader(yaml.SafeLoader):
    """Accepts CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str


@lru_cache(maxsize=1)
def load_template(path: Path | None = None) -> dict[str, Any]:
    with open(path or repo_root() / "template.yaml") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@lru_cache(maxsize=1)
def functions() -> dict[str, FunctionSpec]:
    specs = {}
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=repo_root() / props["CodeUri"],
            handler=props["Handler"],
        )
    return specs


@lru_cache(maxsize=1)
def http_routes() -> list[Route]:
    routes = []
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes.append(Route(props["Method"].upper(), props["Path"], logical_id))
    return routes
