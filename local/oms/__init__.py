"""The OMS extension of the local runtime: the demo seed, the sandboxes that play the payment providers,
carriers and the warehouse, and their `/_local/sandbox/...` routes (see `extension.OmsExtension`).

Importing this package imports nothing else: tests use the sandboxes without a running stack.
"""
