"""tools/deploy_console.py: the console's config.json on AWS comes from the stack's outputs (Cognito hosted
sign-in with PKCE), the build goes to the bucket with the right types and caching, CloudFront is told to
read index.html and config.json again."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tools.deploy_console import IMMUTABLE, REVALIDATE, console_config, invalidate, upload

OUTPUTS = {
    "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/",
    "ConsoleUrl": "https://d111.cloudfront.net/",
    "ConsoleBucketName": "oms-console",
    "ConsoleDistributionId": "E123",
    "ConsoleClientId": "client-1",
    "AuthDomainUrl": "https://oms-uuid.auth.eu-west-1.amazoncognito.com",
}


def test_the_config_names_the_api_and_the_hosted_sign_in() -> None:
    config = console_config(OUTPUTS, "demo")

    assert config == {
        "apiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com",
        "auth": {
            "mode": "cognito",
            "domain": "https://oms-uuid.auth.eu-west-1.amazoncognito.com",
            "clientId": "client-1",
            "redirectUri": "https://d111.cloudfront.net/",
            "scopes": ["openid", "email", "profile"],
        },
        "store": "demo",
    }


def test_a_stack_without_the_console_outputs_is_refused() -> None:
    with pytest.raises(SystemExit, match="ConsoleClientId"):
        console_config({**OUTPUTS, "ConsoleClientId": ""})


@mock_aws
def test_the_build_is_uploaded_with_types_and_caching(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (tmp_path / "assets" / "index-1a2b.js").write_text("x", encoding="utf-8")
    (tmp_path / "config.json").write_text('{"dev": true}', encoding="utf-8")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="oms-console")

    written = upload(s3, "oms-console", tmp_path, console_config(OUTPUTS))

    assert written == ["assets/index-1a2b.js", "index.html", "config.json"]  # the page after its chunks
    asset = s3.get_object(Bucket="oms-console", Key="assets/index-1a2b.js")
    assert (asset["ContentType"], asset["CacheControl"]) == ("text/javascript; charset=utf-8", IMMUTABLE)
    page = s3.get_object(Bucket="oms-console", Key="index.html")
    assert (page["ContentType"], page["CacheControl"]) == ("text/html; charset=utf-8", REVALIDATE)
    config = json.loads(s3.get_object(Bucket="oms-console", Key="config.json")["Body"].read())
    assert config["auth"]["mode"] == "cognito"  # not the development copy


def test_an_unbuilt_console_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no build"):
        upload(None, "oms-console", tmp_path, {})


@mock_aws
def test_cloudfront_reads_the_page_and_config_again() -> None:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "t",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
        }
    )["Distribution"]["Id"]

    invalidation = invalidate(cloudfront, distribution)

    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    assert [item["Id"] for item in listed] == [invalidation]
