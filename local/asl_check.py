"""``python -m oms_local.asl_check [DIR]``: the ASL check of the core (`oms_local.core.asl_check`)."""

from __future__ import annotations

from .core.asl_check import main

if __name__ == "__main__":
    raise SystemExit(main())
