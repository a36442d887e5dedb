"""The web console on the local stack: `GET /console/` serves the built single-page app (`console/dist`, or
`OMS_CONSOLE_DIR`) and `GET /console/config.json` its runtime configuration — the API on this origin and
local sign-in, one button per demo user, whose token the page mints at `/_local/token`.

On AWS the same build is served by CloudFront from S3 and `tools/deploy_console.py` writes a
`config.json` for Cognito's hosted sign-in instead (docs/console.md).
"""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path

from ..core.extension import LocalRequest, Site
from ..core.responses import Response
from .seed import DEMO_STORE_ID, DEMO_USERS

PREFIX = "/console"
ROOT = Path(__file__).resolve().parents[2]
DIR_ENV = "OMS_CONSOLE_DIR"
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OMS console not built</title></head>
<body><main><h1>The console is not built</h1><p>Build it once, then reload this page:</p>
<pre>npm ci --prefix console &amp;&amp; npm run build --prefix console</pre>
<p>(looked in {where})</p></main></body></html>
"""


def console_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or ROOT / "console" / "dist")


def runtime_config() -> dict[str, object]:
    users = [
        {
            "key": user.key,
            "sub": user.subject,
            "roles": list(user.roles),
            "stores": [s for s in str(user.claims.get("custom:stores", "")).split(",") if s],
        }
        for user in DEMO_USERS
    ]
    return {
        "apiUrl": "",
        "auth": {"mode": "local", "tokenUrl": "/_local/token", "demoUsers": users},
        "sandbox": {"payUrl": "/_local/sandbox/payments/{paymentId}/pay"},
        "store": DEMO_STORE_ID,
    }


def _file(path: Path) -> Response:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
        content_type += "; charset=utf-8"
    # Vite fingerprints what it puts in assets/; index.html must be read again after each build.
    cache = "public, max-age=31536000, immutable" if path.parent.name == "assets" else "no-cache"
    return Response(200, [("content-type", content_type), ("cache-control", cache)], path.read_bytes())


def serve(request: LocalRequest) -> Response:
    relative = request.params.get("path", "")
    if request.path == PREFIX:
        return Response(302, [("location", PREFIX + "/")], b"")
    if relative == "config.json":
        body = json.dumps(runtime_config()).encode()
        return Response(200, [("content-type", "application/json"), ("cache-control", "no-store")], body)
    root = console_dir().resolve()
    if not (root / "index.html").is_file():
        page = NOT_BUILT.replace("{where}", str(root)).encode()
        return Response(503, [("content-type", "text/html; charset=utf-8"), ("retry-after", "30")], page)
    target = (root / (relative or "index.html")).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return Response(404, [("content-type", "text/plain; charset=utf-8")], b"not found\n")
    return _file(target)


def console_site() -> Site:
    return Site(PREFIX, serve)
