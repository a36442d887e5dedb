"""Starting `oms-local` as a newcomer does (issue 9 items 11a and 11c): health says ready only once the
demo seed is in, a client's request during the seed cannot break it, and a busy port fails at once with
a message naming it, before anything is built."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from oms_local import cli
from oms_local.core import stack as core_stack
from oms_local.core.gateway import PortUnavailable
from oms_local.oms import extension as oms_extension
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  HttpApi:
    Type: AWS::Serverless::HttpApi
  NoteFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: functions/note/
      Events:
        Write:
          Type: HttpApi
          Properties: { ApiId: !Ref HttpApi, Path: /notes, Method: POST }
"""
APP = """\
writes = []


def handler(event, context):
    writes.append(event["headers"].get("x-who", "?"))
    return {"statusCode": 201, "body": "{}"}
"""


@pytest.fixture
def tiny_template(tmp_path: Path) -> Path:
    """One public write route: what a client and the seed both call."""
    (tmp_path / "functions" / "note").mkdir(parents=True)
    (tmp_path / "functions" / "note" / "app.py").write_text(APP, encoding="utf-8")
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


@pytest.fixture
def held_seed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The stack's seed, held open until the test lets it go; it writes through the API like the real one."""
    seeding, release = threading.Event(), threading.Event()

    def seed(base_url: str, admin_token: str, *, headers: Mapping[str, str] | None = None) -> Any:
        seeding.set()
        assert release.wait(30)
        answer = requests.post(f"{base_url}/notes", headers={**(headers or {}), "x-who": "seed"}, timeout=30)
        if answer.status_code != 201:
            raise oms_extension.SeedError(f"the seed's own write answered {answer.status_code}")
        return "seeded"

    monkeypatch.setattr(oms_extension, "seed", seed)
    yield seeding, release
    release.set()


def test_health_says_starting_until_the_seed_is_in_and_clients_wait_for_it(
    tiny_template: Path, held_seed: tuple[threading.Event, threading.Event]
) -> None:
    seeding, release = held_seed
    local = LocalStack(tiny_template, port=0, stack_name="oms-start-test", seed=True)
    failure: list[BaseException] = []

    def start() -> None:
        try:
            local.start()
        except BaseException as exc:  # reported below
            failure.append(exc)

    starter = threading.Thread(target=start)
    starter.start()
    try:
        assert seeding.wait(60), failure
        url = local.base_url
        health = requests.get(f"{url}/_local/health", timeout=10)
        assert (health.status_code, health.json()["status"], health.headers["retry-after"]) == (503, "starting", "1")
        write = requests.post(f"{url}/notes", headers={"x-who": "client"}, timeout=10)
        assert (write.status_code, write.json()["type"]) == (503, "urn:oms:problem:stack-starting")
        assert write.headers["retry-after"] == "1"
        module = local.functions["NoteFunction"].module
        assert module.writes == []  # the client never reached the function
        release.set()
        starter.join(60)
        assert not failure and local.seed_result == "seeded"
        assert module.writes == ["seed"]
        health = requests.get(f"{url}/_local/health", timeout=10)
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        assert requests.post(f"{url}/notes", headers={"x-who": "client"}, timeout=10).status_code == 201
        assert module.writes == ["seed", "client"]
    finally:
        release.set()
        starter.join(60)
        local.stop()


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield int(holder.getsockname()[1])
    holder.close()


def test_a_busy_port_fails_at_once_naming_the_port_and_how_to_pick_another(
    busy_port: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    built: list[str] = []
    monkeypatch.setattr(core_stack, "deploy", lambda *args: built.append("deploy"))
    monkeypatch.setattr(core_stack, "load_template", lambda *args, **kwargs: built.append("template"))
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # the CLI's Ctrl-C handler stays out of pytest
    with caplog.at_level(logging.ERROR, logger="local_stack"):
        code = cli.main(["--template", str(ROOT / "template.yaml"), "--port", str(busy_port), "--no-seed"])
    assert code == 1
    assert built == []  # nothing was read, deployed or imported before the port was checked
    (message,) = [r.getMessage() for r in caplog.records if r.name == "local_stack"]
    assert f"port {busy_port} on 127.0.0.1 is already in use" in message
    assert "--port N" in message and "--port 0" in message


def test_the_stack_gives_the_port_back_when_it_cannot_start(busy_port: int, tiny_template: Path) -> None:
    with pytest.raises(PortUnavailable, match=f"port {busy_port}"):
        LocalStack(tiny_template, port=busy_port, stack_name="oms-busy-test", seed=False).start()
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    with pytest.raises(Exception, match=r"missing\.yaml"):
        LocalStack(tiny_template.parent / "missing.yaml", port=port, stack_name="oms-busy-test", seed=False).start()
    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no SO_REUSEADDR: any socket left on it fails this
    try:
        again.bind(("127.0.0.1", port))
    finally:
        again.close()
