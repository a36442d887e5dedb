"""oms-local serves the built web console at /console/ (its files, a runtime config for local sign-in, no
path outside the build) even while the stack starts, and says how to build it when it is not built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oms_local.oms.console import DIR_ENV, runtime_config

pytestmark = pytest.mark.integration


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>OMS</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    monkeypatch.setenv(DIR_ENV, str(tmp_path))
    return tmp_path


def test_the_console_is_served_with_its_runtime_config(built: Path, http: Any) -> None:
    assert http.get("/console/").text == "<!doctype html><title>OMS</title>"
    assert http.get("/console/").headers["cache-control"] == "no-cache"
    asset = http.get("/console/assets/index-abc.js")
    assert asset.status == 200
    assert asset.headers["content-type"].startswith("text/javascript")
    assert "immutable" in asset.headers["cache-control"]
    config = http.get("/console/config.json").json()
    assert config == runtime_config()
    assert config["auth"]["mode"] == "local"
    merchant = next(user for user in config["auth"]["demoUsers"] if user["key"] == "merchant")
    assert merchant == {"key": "merchant", "sub": "demo-merchant", "roles": ["merchant"], "stores": ["demo"]}


def test_nothing_outside_the_build_is_served(built: Path, http: Any) -> None:
    assert http.get("/console/../secret.txt").status in (400, 404)
    assert http.get("/console/%2e%2e/secret.txt").status == 404
    assert http.get("/console/missing.js").status == 404
    assert http.post("/console/index.html", json={}).status == 404  # not a site method: no API route either


def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http: Any) -> None:
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "nothing"))
    page = http.get("/console/")
    assert page.status == 503
    assert "npm run build --prefix console" in page.text
