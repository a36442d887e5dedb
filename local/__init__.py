"""OMS local runtime: serves template.yaml on one machine from an in-process moto server.

`core/` is the generic runtime (template, deploy, in-process functions, moto patches, streams, schedules,
tokens, ASL check, gateway, API explorer); `oms/` is the OMS extension (seed, sandboxes, `/_local/sandbox`
routes); `stack.LocalStack` joins them. Start it with the ``oms-local`` console script, or from Python::

    from oms_local.stack import LocalStack

    with LocalStack(port=0) as stack:
        print(stack.base_url, stack.demo_tokens["admin"])
"""
