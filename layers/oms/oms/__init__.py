"""OMS: the order-management package shared by every Lambda function (the oms layer).

Importing it registers the SnapStart runtime hooks (`oms.snapstart`): every function imports oms, and
the runtime only runs hooks registered by modules its handler imports."""

import oms.snapstart  # noqa: F401  (registers the hooks; stdlib-only, cheap)
