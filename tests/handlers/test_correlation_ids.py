"""Every API function logs with the request's API Gateway request id as its correlation id."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import LambdaContext, load_function

API_FUNCTIONS = ["orders", "payments", "catalog", "fulfilment", "promotions", "payment_callbacks", "carrier_callbacks"]


@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_the_request_id_is_the_correlation_id(aws: None, name: str) -> None:
    module = load_function(name)
    event = {
        "version": "2.0",
        "routeKey": "POST /nowhere",
        "rawPath": "/nowhere",
        "rawQueryString": "",
        "headers": {},
        "pathParameters": {"provider": "nowhere", "carrier": "nowhere"},
        "requestContext": {
            "requestId": f"req-{name}",
            "stage": "$default",
            "http": {"method": "POST", "path": "/nowhere", "sourceIp": "203.0.113.1"},
        },
        "body": "",
        "isBase64Encoded": False,
    }

    module.handler(event, LambdaContext())

    assert module.logger.get_correlation_id() == f"req-{name}"
