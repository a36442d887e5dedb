"""Validate every state machine of template.yaml with statelint, after the `${...}` substitutions
SAM would make (statelint cannot read the placeholders). Fails if a placeholder has no substitution.

Usage: python -m oms_local.asl_check [statemachines-dir]   (exit 1 on any finding)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")
ACCOUNT, REGION = "123456789012", "us-east-1"

_ARN_BY_TYPE = {
    "AWS::Serverless::Function": "arn:aws:lambda:{r}:{a}:function:{n}",
    "AWS::Lambda::Function": "arn:aws:lambda:{r}:{a}:function:{n}",
    "AWS::Serverless::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::SQS::Queue": "arn:aws:sqs:{r}:{a}:{n}",
    "AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{n}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{r}:{a}:table/{n}",
    "AWS::Events::EventBus": "arn:aws:events:{r}:{a}:event-bus/{n}",
    "AWS::S3::Bucket": "arn:aws:s3:::{n}",
}


def placeholder_value(value: Any, resources: dict[str, Any]) -> str:
    """A realistic stand-in for a substitution: ARNs for GetAtt .Arn / Ref, the literal for strings."""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        logical = arg.split(".")[0] if isinstance(arg, str) else arg[0]
        rtype = resources.get(logical, {}).get("Type", "")
        name = logical.lower()
        if fn == "Fn::GetAtt" or rtype in _ARN_BY_TYPE:
            pattern = _ARN_BY_TYPE.get(rtype, "arn:aws:service:{r}:{a}:{n}")
            return pattern.format(r=REGION, a=ACCOUNT, n=name)
        return name
    return "placeholder"


def _substitute(subs: dict[str, str], match: re.Match[str]) -> str:
    return subs[match.group(1)]


def substituted_definitions(template_path: Path) -> dict[tuple[Path, str], str]:
    """Each state machine's definition with its substitutions made, keyed by (file, logical id): one
    parametrised file may serve several state machines."""
    template, matches = decode(str(template_path))
    if template is None:
        raise SystemExit(f"cannot parse {template_path}: {matches}")
    resources = template.get("Resources", {})
    result: dict[tuple[Path, str], str] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::StateMachine":
            continue
        props = resource.get("Properties", {})
        path = template_path.parent / props["DefinitionUri"]
        text = path.read_text()
        subs = {k: placeholder_value(v, resources) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        missing = sorted(set(PLACEHOLDER.findall(text)) - set(subs))
        if missing:
            raise SystemExit(f"{path}: no DefinitionSubstitutions for {', '.join(missing)} ({logical_id})")
        result[(path, logical_id)] = PLACEHOLDER.sub(partial(_substitute, subs), text)
    return result


def _statelint() -> str:
    """statelint from this interpreter's environment (a venv need not be on PATH), else from PATH."""
    beside = Path(sys.executable).parent / "statelint"
    return str(beside) if beside.exists() else "statelint"


def lint(text: str) -> tuple[bool, str]:
    """Run statelint on one definition; (ok, findings)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(text)
    try:
        run = subprocess.run([_statelint(), handle.name], capture_output=True, text=True, check=False)
    finally:
        Path(handle.name).unlink()
    return run.returncode == 0, run.stdout + run.stderr


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    folder = (Path(args[0]) if args else ROOT / "statemachines").resolve()
    definitions = substituted_definitions(ROOT / "template.yaml")
    referenced = {path.resolve() for path, _ in definitions}
    unreferenced = sorted(p for p in folder.glob("*.asl.json") if p.resolve() not in referenced)
    failed = False
    for path in unreferenced:
        print(f"{path}: not referenced by any state machine in template.yaml")
        failed = True
    for (path, logical_id), text in sorted(definitions.items()):
        json.loads(text)  # a syntax error should fail here with a clear message
        ok, findings = lint(text)
        print(f"{path.relative_to(ROOT)} ({logical_id}): {'ok' if ok else 'FAILED'}")
        if not ok:
            print(findings)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
