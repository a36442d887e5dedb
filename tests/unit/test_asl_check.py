"""The state-machine check CI runs: substitutions resolved from template.yaml, statelint findings fail."""

from __future__ import annotations

import json

from oms_local.core.asl_check import ROOT, lint, main, substituted_definitions


def test_template_state_machines_substitute_every_placeholder_and_pass() -> None:
    definitions = substituted_definitions(ROOT / "template.yaml")
    assert definitions, "template.yaml declares at least the payment-timeout state machine"
    for text in definitions.values():
        assert "${" not in text
        ok, findings = lint(text)
        assert ok, findings
    assert main([str(ROOT / "statemachines")]) == 0


def test_statelint_findings_are_reported() -> None:
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    ok, findings = lint(json.dumps(broken))
    assert not ok
    assert "Nowhere" in findings
