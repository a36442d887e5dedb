"""Pure domain code: no AWS, no I/O. Money, pricing, state machines, errors."""
