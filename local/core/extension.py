"""How a project extends the generic local runtime: the `Extension` protocol and its `/_local` routes.

An extension is handed to `Stack(extensions=[...])`. The stack calls, in this order:

- `on_start(stack)`: resources are deployed, the process environment is set and `stack.base_url` is
  known, but no function is imported yet: inject sandboxes and adapters here, so a module that asks for
  one at import already gets it;
- `on_ready(stack)`: the API serves (only requests carrying `stack.starting_headers` until it opens),
  stream pollers and schedule timers run, tokens can be minted: seed demo data here;
- `on_stop()`: the stack stopped serving and unloaded its functions: withdraw what `on_start` injected.

`sites()` lists static sites served outside `/_local/` (GET and HEAD below a path prefix, even while the
stack is still starting), e.g. a web console's built files.

`routes()` lists the extension's endpoints under `/_local/` (werkzeug rule syntax, e.g.
`/sandbox/warehouse/<child_order_id>`); the gateway matches them before its own and answers 404 problem
details for anything unmatched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .responses import Response

if TYPE_CHECKING:
    from .stack import Stack


@dataclass(frozen=True)
class LocalRequest:
    method: str
    path: str  # the raw path, e.g. /_local/sandbox/warehouse/a%20b
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    params: Mapping[str, str]  # path parameters, percent-decoded


@dataclass(frozen=True)
class LocalRoute:
    method: str  # GET, POST, ...
    rule: str  # below /_local, werkzeug syntax: /sandbox/payments/<payment_id>/pay
    handler: Callable[[LocalRequest], Response]


@dataclass(frozen=True)
class Site:
    """Files served below `prefix` (e.g. `/console`): `handler` answers GET and HEAD of `prefix` and below."""

    prefix: str
    handler: Callable[[LocalRequest], Response]


class Extension(Protocol):
    def routes(self) -> Sequence[LocalRoute]: ...

    def sites(self) -> Sequence[Site]: ...

    def on_start(self, stack: Stack) -> None: ...

    def on_ready(self, stack: Stack) -> None: ...

    def on_stop(self) -> None: ...
