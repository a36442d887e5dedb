"""The post-build step ships bytecode: every module of a `.aws-sam/build`-like tree gets an unchecked-hash
.pyc that a fresh interpreter in a Lambda-like layout (read-only code, PYTHONDONTWRITEBYTECODE) uses as is."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.compile_build import (
    ROOT,
    BuildError,
    compile_build,
    interpreter_runtime,
    main,
    template_runtime,
    uncompiled,
)


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """What `sam build` leaves: one folder per function, the layer's packages under python/."""
    build = tmp_path / ".aws-sam" / "build"
    function = build / "OrdersFunction"
    package = build / "OmsLayer" / "python" / "fakeoms"
    function.mkdir(parents=True)
    package.mkdir(parents=True)
    (function / "app.py").write_text("from fakeoms import models\n\nVALUE = models.VALUE\n")
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("VALUE = 'compiled'\n")
    (build / "template.yaml").write_text("Resources: {}\n")
    return build


@pytest.fixture
def read_only(build_dir: Path) -> Iterator[None]:
    yield
    for path in [build_dir, *build_dir.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_every_module_gets_an_unchecked_hash_pyc(build_dir: Path) -> None:
    assert len(uncompiled(build_dir)) == 3

    assert compile_build(build_dir, interpreter_runtime()) == 3

    assert uncompiled(build_dir) == []
    pyc = next((build_dir / "OmsLayer" / "python" / "fakeoms" / "__pycache__").glob("models.*.pyc"))
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, source not checked: zip timestamps do not matter


def test_a_lambda_like_cold_start_uses_the_bytecode(build_dir: Path, read_only: None) -> None:
    compile_build(build_dir, interpreter_runtime())
    # The source changes after the build: an unchecked-hash .pyc is still what runs (proof it is used).
    (build_dir / "OmsLayer" / "python" / "fakeoms" / "models.py").write_text("VALUE = 'source'\n")
    for path in [build_dir, *build_dir.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([str(build_dir / "OrdersFunction"), str(build_dir / "OmsLayer" / "python")]),
    }
    run = subprocess.run(
        [sys.executable, "-c", "import app; print(app.VALUE)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=build_dir.parent,
    )
    assert run.stdout.strip() == "compiled"


def test_bytecode_of_another_python_is_refused(build_dir: Path) -> None:
    with pytest.raises(BuildError, match=r"run this step with python3\.99"):
        compile_build(build_dir, "python3.99")
    assert len(uncompiled(build_dir)) == 3


def test_a_file_that_does_not_compile_fails_the_build(build_dir: Path) -> None:
    (build_dir / "OrdersFunction" / "broken.py").write_text("def (:\n")

    with pytest.raises(BuildError, match=r"1 file\(s\) did not compile: OrdersFunction/broken.py"):
        compile_build(build_dir, interpreter_runtime())


def test_without_a_build_there_is_nothing_to_compile(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="run `sam build` first"):
        compile_build(tmp_path / "missing", interpreter_runtime())


def test_the_runtime_comes_from_the_template(tmp_path: Path, build_dir: Path) -> None:
    assert template_runtime(ROOT / "template.yaml") == "python3.13"
    mine = tmp_path / "template.yaml"
    mine.write_text(f"Globals:\n  Function:\n    Runtime: {interpreter_runtime()}\n")
    assert main(["--build-dir", str(build_dir), "--template", str(mine)]) == 0
    assert uncompiled(build_dir) == []
    mine.write_text("Globals:\n  Function:\n    Runtime: python3.12\nX:\n  Runtime: python3.13\n")
    with pytest.raises(BuildError, match="expected one python runtime"):
        template_runtime(mine)
