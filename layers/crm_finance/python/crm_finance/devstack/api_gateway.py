"""A local HTTP API Gateway (payload format 2.0) in front of the in-process handlers."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crm_finance.devstack.lambda_runtime import invoke
from crm_finance.devstack.template import Route, http_routes

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")


def _route_pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", path)
    return re.compile(f"^{regex}$")


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = [(r, _route_pattern(r.path)) for r in routes]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None


def build_http_api_event(
    *,
    route: Route,
    path: str,
    path_params: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway HTTP API sends with payload format version 2.0."""
    content_type = headers.get("content-type", "")
    is_text = not body or any(content_type.startswith(t) for t in _TEXT_TYPES)
    now = time.time()
    query_params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        query_params[key] = f"{query_params[key]},{value}" if key in query_params else value
    return {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": [c.strip() for c in headers.get("cookie", "").split(";") if c.strip()] or None,
        "headers": headers,
        "queryStringParameters": query_params or None,
        "pathParameters": path_params or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": route.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


class _Handler(BaseHTTPRequestHandler):
    server: LocalApiGateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # handlers log through Powertools

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(
                413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}'
            )
            return
        body = self.rfile.read(length) if length else b""
        matched = self.server.routes.match(self.command, url.path)
        if matched is None:
            self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        route, params = matched
        event = build_http_api_event(
            route=route,
            path=url.path,
            path_params=params,
            query=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            source_ip=self.client_address[0],
        )
        try:
            result = invoke(route.function, event)
        except Exception:  # noqa: BLE001 - what API Gateway answers when a function crashes
            self._reply(
                500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
            )
            return
        status, headers, payload = _http_response(result)
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


def _http_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, {"content-type": "application/json"}, json.dumps(result).encode()
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = ", ".join(values)
    return int(result["statusCode"]), headers, payload


class LocalApiGateway(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 8089) -> None:
        super().__init__((host, port), _Handler)
        self.routes = RouteTable(http_routes())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalApiGateway:
        self._thread = threading.Thread(target=self.serve_forever, name="api-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
