"""Publish the web console to a deployed stack: upload `console/dist` to the stack's console bucket with its
`config.json` (the API URL and Cognito's hosted sign-in with PKCE, from the stack's outputs), then invalidate
what CloudFront must read again. Run after `sam deploy` and `npm run build --prefix console`:

    python tools/deploy_console.py --stack-name oms [--region eu-west-1] [--dist console/dist] [--store demo]

Fingerprinted files under assets/ are cached for a year (immutable); index.html and config.json are sent
with `Cache-Control: no-cache`, so a new build shows at the next load. Files of older builds stay (a page
loaded before the upload still finds its chunks); the bucket's lifecycle expires replaced versions.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NEEDED = ("ApiUrl", "ConsoleUrl", "ConsoleBucketName", "ConsoleDistributionId", "ConsoleClientId", "AuthDomainUrl")


def console_config(outputs: dict[str, str], store: str | None = None) -> dict[str, Any]:
    """The config.json the console reads at start on AWS."""
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise SystemExit(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    config: dict[str, Any] = {
        "apiUrl": outputs["ApiUrl"].rstrip("/"),
        "auth": {
            "mode": "cognito",
            "domain": outputs["AuthDomainUrl"],
            "clientId": outputs["ConsoleClientId"],
            "redirectUri": outputs["ConsoleUrl"],
            "scopes": ["openid", "email", "profile"],
        },
    }
    if store:
        config["store"] = store
    return config


def _content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("javascript", "json")) else kind


def upload(s3: Any, bucket: str, dist: Path, config: dict[str, Any]) -> list[str]:
    """Put every file of the build (assets first, index.html last) and config.json; the keys written."""
    if not (dist / "index.html").is_file():
        raise SystemExit(f"no build at {dist}: run npm ci --prefix console && npm run build --prefix console")
    files = sorted((p for p in dist.rglob("*") if p.is_file()), key=lambda p: (p.name == "index.html", str(p)))
    written = []
    for path in files:
        key = path.relative_to(dist).as_posix()
        if key == "config.json":
            continue  # a development copy: the stack's own is written below
        cache = IMMUTABLE if key.startswith("assets/") else REVALIDATE
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=_content_type(path), CacheControl=cache
        )
        written.append(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl=REVALIDATE,
    )
    written.append("config.json")
    return written


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 2, "Items": ["/index.html", "/config.json"]},
            "CallerReference": f"deploy-console-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region")
    parser.add_argument("--dist", type=Path, default=ROOT / "console" / "dist")
    parser.add_argument("--store", help="the shop front's store id (default: the demo's 'demo' is not assumed)")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack_name)
    config = console_config(outputs, args.store)
    written = upload(session.client("s3"), outputs["ConsoleBucketName"], args.dist, config)
    invalidation = invalidate(session.client("cloudfront"), outputs["ConsoleDistributionId"])
    print(f"uploaded {len(written)} files to s3://{outputs['ConsoleBucketName']}; invalidation {invalidation}")
    print(f"console: {outputs['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
