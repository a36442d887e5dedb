"""The caller's own account: profile (`GET/PUT /me`: name, language, currency) and address book
(`/me/addresses`: save, replace, delete, pick the default; checkout takes a saved one by id). Any signed-in
person, their own only. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.account_schemas import AddressBookOut, AddressEntryIn, Profile, ProfileIn, SavedAddress
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import IfMatch

logger = Logger()
app = make_resolver(logger, tag="Accounts")
services = wiring.services()
snapstart.build_before_snapshot(services, "accounts")

ADDRESS = "/me/addresses/{addressId}"


@app.endpoint("GET", "/me", headers=("ETag",))
def profile() -> Response[Profile]:
    """The caller's profile (ETag: its version); fields never set are null."""
    result = services.accounts.profile(actor(app))
    return Response(200, "application/json", answer(Profile, result), etag(result["version"]))


@app.endpoint("PUT", "/me", problems=(409, 412), headers=("ETag",))
def put_profile(body: Annotated[ProfileIn, Body()], ifMatch: IfMatch = None) -> Response[Profile]:
    """Change the caller's name, language (zh-CN or en: also the notifications' language) or currency;
    a field left out stays, `null` clears it (412 when If-Match is not the current version)."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    result = services.accounts.put_profile(actor(app), changes, if_match(app))
    return Response(200, "application/json", answer(Profile, result), etag(result["version"]))


@app.endpoint("GET", "/me/addresses")
def addresses() -> AddressBookOut:
    """The caller's saved addresses (oldest first) and which is the default."""
    return answer(AddressBookOut, services.accounts.addresses(actor(app)))


@app.endpoint("POST", "/me/addresses", status=201, headers=("ETag", "Location"))
def add_address(body: Annotated[AddressEntryIn, Body()]) -> Response[SavedAddress]:
    """Save an address (the first one becomes the default); 422 `address-book-full` beyond 20."""
    saved = services.accounts.add_address(actor(app), body.address_data(), label=body.label, default=body.default)
    headers = {"Location": f"/me/addresses/{saved['addressId']}", **etag(saved["version"])}
    return Response(201, "application/json", answer(SavedAddress, saved), headers)


@app.endpoint("PUT", ADDRESS, problems=(404, 409, 412), headers=("ETag",))
def put_address(
    addressId: str, body: Annotated[AddressEntryIn, Body()], ifMatch: IfMatch = None
) -> Response[SavedAddress]:
    """Replace one of the caller's saved addresses (orders placed with it keep their copy)."""
    saved = services.accounts.put_address(
        actor(app), addressId, body.address_data(), label=body.label, default=body.default, if_match=if_match(app)
    )
    return Response(200, "application/json", answer(SavedAddress, saved), etag(saved["version"]))


@app.endpoint("DELETE", ADDRESS, problems=(404, 409))
def delete_address(addressId: str) -> AddressBookOut:
    """Delete one of the caller's saved addresses; answers the book without it (deleting the default
    leaves none until another is picked)."""
    services.accounts.delete_address(actor(app), addressId)
    return answer(AddressBookOut, services.accounts.addresses(actor(app)))


@app.endpoint("POST", f"{ADDRESS}/default", problems=(404,))
def make_default(addressId: str) -> SavedAddress:
    """Make one of the caller's saved addresses the default."""
    return answer(SavedAddress, services.accounts.make_default(actor(app), addressId))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
