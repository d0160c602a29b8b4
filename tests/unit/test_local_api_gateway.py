"""The local API Gateway routes what template.yaml declares and builds v2 events."""

import base64

from crm_finance.devstack.api_gateway import RouteTable, build_http_api_event
from crm_finance.devstack.template import Route, http_routes


def test_routes_come_from_the_template() -> None:
    routes = {(r.method, r.path) for r in http_routes()}
    assert {
        ("POST", "/payments/webhook"),
        ("POST", "/leads"),
        ("GET", "/leads"),
        ("GET", "/health"),
    } <= routes


def test_path_parameters_are_extracted() -> None:
    table = RouteTable([Route("POST", "/qbo/sync/invoice/{proposal_id}/check", "Fn")])
    matched = table.match("POST", "/qbo/sync/invoice/42/check")
    assert matched is not None and matched[1] == {"proposal_id": "42"}
    assert table.match("GET", "/qbo/sync/invoice/42/check") is None


def test_binary_bodies_are_base64_encoded_like_api_gateway() -> None:
    event = build_http_api_event(
        route=Route("POST", "/payments/webhook", "Fn"),
        path="/payments/webhook",
        path_params={},
        query="a=1&a=2",
        headers={"content-type": "application/octet-stream"},
        body=b"\x00\x01",
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["routeKey"] == "POST /payments/webhook"
