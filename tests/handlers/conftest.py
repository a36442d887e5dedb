"""Handler tests: each function's `app.handler` called with API Gateway v2 events, under moto's
in-process mock (no server), one mock and table per module, emptied between tests
(tests/helpers/moto_state.py). The table comes from template.yaml's own definition; the helpers
(events, `Api`, roles, table reads) are in tests/helpers/handlers.py."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import botocore.session
import pytest
from oms_local.core.functions import reset_cached_connections
from oms_local.core.template import load_template

from tests.helpers.admin_orders import admin_api as admin_api
from tests.helpers.admin_orders import directory as directory

# Fixtures several modules use, defined beside their helpers (a module's own fixture of the same name wins).
from tests.helpers.cases import recording_flow as recording_flow
from tests.helpers.fulfilment import carriers as carriers
from tests.helpers.fulfilment import catalog as catalog
from tests.helpers.fulfilment import fulfilment as fulfilment
from tests.helpers.fulfilment import warehouse as warehouse

# The helpers live in tests/helpers/handlers.py; re-exported here for the modules that import them from conftest.
from tests.helpers.handlers import (
    ADDRESS as ADDRESS,
)
from tests.helpers.handlers import (
    ADMIN as ADMIN,
)
from tests.helpers.handlers import (
    CUSTOMER as CUSTOMER,
)
from tests.helpers.handlers import (
    DEMO_STORE as DEMO_STORE,
)
from tests.helpers.handlers import (
    OTHER_CUSTOMER as OTHER_CUSTOMER,
)
from tests.helpers.handlers import (
    ROOT as ROOT,
)
from tests.helpers.handlers import (
    SUPPORT as SUPPORT,
)
from tests.helpers.handlers import (
    Api as Api,
)
from tests.helpers.handlers import (
    AwsCalls as AwsCalls,
)
from tests.helpers.handlers import (
    LambdaContext as LambdaContext,
)
from tests.helpers.handlers import (
    TableStream as TableStream,
)
from tests.helpers.handlers import (
    adapters as adapters,
)
from tests.helpers.handlers import (
    due_entry_of as due_entry_of,
)
from tests.helpers.handlers import (
    executions as executions,
)
from tests.helpers.handlers import (
    give_balance as give_balance,
)
from tests.helpers.handlers import (
    http_event as http_event,
)
from tests.helpers.handlers import (
    load_function as load_function,
)
from tests.helpers.handlers import (
    outbox_rows as outbox_rows,
)
from tests.helpers.handlers import serialized as serialized
from tests.helpers.handlers import (
    table_definition as table_definition,
)
from tests.helpers.moto_state import mocked_aws, reset_between_tests, reset_process_state
from tests.helpers.payments import pay_api as pay_api
from tests.helpers.payments import payments_module as payments_module
from tests.helpers.payments import providers as providers
from tests.helpers.world import faults as faults
from tests.helpers.world import functions as functions
from tests.helpers.world import sandbox as sandbox
from tests.helpers.world import world as world


@pytest.fixture
def aws_calls(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """Counts (and can fail) the AWS calls of every client created from now on; pynamodb's models
    reconnect so their client is one of those."""
    calls = AwsCalls()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", calls.before_call)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    reset_cached_connections()
    yield calls
    reset_cached_connections()


@pytest.fixture
def state_machines(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The template's payment-timeout and auto-confirm state machines in moto (recorded, not executed;
    named, with their functions and bus, as the local stack names them), and the environment the
    after-commit function reads. Logical id -> ARN."""
    sfn = boto3.client("stepfunctions")
    role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machines = load_template(ROOT / "template.yaml", {}, "oms-local").state_machines
    arns = {
        logical_id: sfn.create_state_machine(name=m.name, definition=m.definition, roleArn=role)["stateMachineArn"]
        for logical_id, m in machines.items()
    }
    monkeypatch.setenv("PAYMENT_TIMEOUT_STATE_MACHINE_ARN", arns["PaymentTimeoutStateMachine"])
    monkeypatch.setenv("AUTO_CONFIRM_STATE_MACHINE_ARN", arns["AutoConfirmStateMachine"])
    return arns


@pytest.fixture(scope="module")
def module_aws() -> Iterator[None]:
    """moto's mock and the table, started once per module (see tests/helpers/moto_state.py)."""
    with mocked_aws(table_definition):
        reset_process_state()
        yield


@pytest.fixture
def aws(module_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module's mocked AWS with an empty table, as if new: emptied and reset after the test."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    yield
    reset_between_tests(table_definition)
    reset_process_state()


@pytest.fixture
def catalog_api(aws: None) -> Api:
    return Api(load_function("catalog"))


@pytest.fixture
def orders_module(aws: None) -> ModuleType:
    return load_function("orders")


@pytest.fixture
def orders_api(orders_module: ModuleType) -> Api:
    return Api(orders_module)


@pytest.fixture
def seeded(catalog_api: Api) -> dict[str, Any]:
    status, _, _ = catalog_api("PUT", "/stores/demo", route="PUT /stores/{storeId}", body=DEMO_STORE, **ADMIN)
    assert status == 201
    status, _, product = catalog_api(
        "POST",
        "/products",
        **ADMIN,
        body={
            "storeId": "demo",
            "name": "Tee",
            "skus": [
                {
                    "skuId": "TEE-M",
                    "name": "Tee M",
                    "price": {"amount": 4900, "currency": "CNY"},
                    "stock": 10,
                    "warehouseId": "WH1",
                    "weightGrams": 200,
                },
                {
                    "skuId": "MUG",
                    "name": "Mug",
                    "price": {"amount": 2550, "currency": "CNY"},
                    "stock": 3,
                    "warehouseId": "WH1",
                    "weightGrams": 300,
                },
            ],
        },
    )
    assert status == 201, product
    return product
