"""`ApiExplorer`: an extension serving an OpenAPI document and Swagger UI from local files, no CDN.

- `GET /_local/openapi.json`: the document, its `servers` pointed at this stack so "Try it out" calls it;
- `GET /_local/docs`: Swagger UI (the page powertools' `enable_swagger` renders), with the document
  inlined; `?format=json` gives the document too;
- `GET /_local/docs/swagger-ui-bundle.min.js`, `.../swagger-ui.min.css`: Swagger UI's own assets, as
  shipped inside aws-lambda-powertools (`event_handler/openapi/swagger_ui`).

The document is read on each request, so a regenerated file shows without a restart; a missing one is a
404 problem.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

from .extension import LocalRequest, LocalRoute, Site
from .responses import Response, json_response, problem
from .stack import Stack

ASSETS = {
    "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}
_ASSET_PACKAGE = "aws_lambda_powertools.event_handler.openapi.swagger_ui"


class ApiExplorer:
    def __init__(self, document: Path, *, title: str = "API explorer") -> None:
        self.document = document
        self.title = title
        self._base_url: str | None = None
        self._assets: dict[str, bytes] = {}

    def routes(self) -> list[LocalRoute]:
        return [
            LocalRoute("GET", "/openapi.json", self._openapi),
            LocalRoute("GET", "/docs", self._page),
            LocalRoute("GET", "/docs/<asset>", self._asset),
        ]

    def sites(self) -> list[Site]:
        return []

    def on_start(self, stack: Stack) -> None:
        self._base_url = stack.base_url

    def on_ready(self, stack: Stack) -> None:
        pass

    def on_stop(self) -> None:
        self._base_url = None

    def _load(self) -> dict[str, Any] | Response:
        try:
            document = json.loads(self.document.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return problem(404, "openapi-not-found", "Not Found", f"no OpenAPI document at {self.document}")
        except ValueError as error:
            return problem(500, "openapi-unreadable", "Internal Server Error", f"{self.document}: {error}")
        if self._base_url is not None:
            document["servers"] = [{"url": self._base_url, "description": "this local stack"}]
        return dict(document)

    def _openapi(self, _: LocalRequest) -> Response:
        document = self._load()
        return document if isinstance(document, Response) else json_response(200, document)

    def _page(self, request: LocalRequest) -> Response:
        document = self._load()
        if isinstance(document, Response) or request.query.get("format") == "json":
            return self._openapi(request)
        spec = json.dumps(document).replace("</", "<\\/")  # inlined in a <script>
        html = generate_swagger_html(
            spec=spec,
            swagger_js="/_local/docs/swagger-ui-bundle.min.js",
            swagger_css="/_local/docs/swagger-ui.min.css",
            swagger_base_url="/_local/docs",
            oauth2_config=None,
            persist_authorization=True,
        ).replace("<title>Swagger UI</title>", f"<title>{self.title}</title>")
        return Response(200, [("content-type", "text/html; charset=utf-8")], html.encode())

    def _asset(self, request: LocalRequest) -> Response:
        name = request.params["asset"]
        if name not in ASSETS:
            return problem(404, "route-not-found", "Not Found", f"no local endpoint GET {request.path}")
        if name not in self._assets:
            self._assets[name] = resources.files(_ASSET_PACKAGE).joinpath(name).read_bytes()
        headers = [("content-type", ASSETS[name]), ("cache-control", "max-age=3600")]
        return Response(200, headers, self._assets[name])
