"""OMS local runtime: serves template.yaml on one machine from an in-process moto server.

Start it with the ``oms-local`` console script, or from Python::

    from oms_local.stack import LocalStack

    with LocalStack(port=0) as stack:
        print(stack.base_url, stack.demo_tokens["admin"])
"""
