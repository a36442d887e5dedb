"""Ship bytecode: compile everything `sam build` put in `.aws-sam/build` (functions and the oms layer).

Lambda's code directories (`/var/task`, `/opt`) are read-only and SAM's python_pip builder unpacks wheels
without compiling them (and drops `*.pyc` from copied sources), so without this step every cold start
compiles every module it imports again: `functions/orders` imported in 1,355 ms that way against 463 ms
with bytecode (docs/operations.md, "Deploying to AWS").

The `.pyc` files are written with `--invalidation-mode unchecked-hash`: the runtime uses them without
comparing timestamps (the zip SAM uploads does not keep them) and without hashing the source at each
import. They must come from the runtime's own minor version (python3.13 for `Runtime: python3.13`): a
`.pyc` of another version is ignored, silently. Usage, after `sam build` (`make build` runs both):

    python3.13 tools/compile_build.py [--build-dir .aws-sam/build] [--template template.yaml]

Exit status 1 when a file does not compile or the interpreter is not the template's runtime.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import py_compile
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RUNTIME = re.compile(r"^\s*Runtime:\s*(python3\.\d+)\s*$", re.MULTILINE)


class BuildError(Exception):
    """The build output cannot be compiled as the runtime needs it."""


def template_runtime(template: Path) -> str:
    """The one Python runtime the template's functions use (`python3.13`); BuildError if none or several."""
    runtimes = set(_RUNTIME.findall(template.read_text(encoding="utf-8")))
    if len(runtimes) != 1:
        raise BuildError(f"{template}: expected one python runtime, found {sorted(runtimes) or 'none'}")
    runtime: str = runtimes.pop()
    return runtime


def interpreter_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def uncompiled(build_dir: Path) -> list[Path]:
    """Source files under `build_dir` without a `.pyc` for this interpreter beside them."""
    return sorted(
        source for source in build_dir.rglob("*.py") if not Path(importlib.util.cache_from_source(str(source))).exists()
    )


def compile_build(build_dir: Path, runtime: str) -> int:
    """Compile every `.py` under `build_dir` (unchecked-hash .pyc in `__pycache__`); returns how many
    source files the directory holds. BuildError on a version mismatch or a file that does not compile."""
    if runtime != interpreter_runtime():
        raise BuildError(
            f"the functions run on {runtime} but this is {interpreter_runtime()}: "
            f"run this step with {runtime} (its .pyc files would be ignored)"
        )
    if not build_dir.is_dir():
        raise BuildError(f"{build_dir} does not exist: run `sam build` first")
    ok = compileall.compile_dir(
        build_dir,
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    left = uncompiled(build_dir)
    if not ok or left:
        shown = ", ".join(str(p.relative_to(build_dir)) for p in left[:5])
        raise BuildError(f"{len(left)} file(s) did not compile: {shown}")
    return sum(1 for _ in build_dir.rglob("*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)
    try:
        count = compile_build(args.build_dir, template_runtime(args.template))
    except BuildError as error:
        print(f"compile_build: {error}", file=sys.stderr)
        return 1
    print(f"compile_build: {count} modules compiled (unchecked-hash) under {args.build_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
