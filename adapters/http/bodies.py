"""JSON request bodies, decoded strictly before Litestar binds them.

Litestar converts bodies leniently (``"100"`` passes as the number 100) and first decodes them into
untyped Python objects, where a deeply nested array exhausts the recursion limit. Decoding the
raw bytes against the handler's body type first, with msgspec's strict rules, refuses both: a
string for a number is a 422, and nesting deeper than the type allows stops at the first level
that does not fit. Only bodies that already fit reach Litestar's own binding.
"""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from msgspec import UnsetType

_JSON_MEDIA_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)
# msgspec ends its messages with the location of the fault: "Expected `int`, got `str` - at `$.guests`".
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)

_body_types: dict[HTTPRouteHandler, Any] = {}


def _body_type(handler: HTTPRouteHandler) -> Any:
    """The type of the handler's ``data`` parameter, or None when it takes no body."""
    try:
        return _body_types[handler]
    except KeyError:
        data = handler.parsed_fn_signature.parameters.get("data")
        body_type = _body_types[handler] = data.annotation if data is not None else None
        return body_type


async def decode_body_strictly(request: Request[Any, Any, Any]) -> None:
    """Refuse a body that is not JSON of exactly the declared shape (runs before the handler's arguments are bound)."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or (body_type := _body_type(handler)) is None:
        return
    if not _JSON_MEDIA_TYPE.match(request.headers.get("content-type", "")):
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail="send the body as JSON (Content-Type: application/json)"
        )
    body = await request.body()
    try:
        msgspec.json.decode(body, type=body_type)
    except msgspec.ValidationError as error:
        problems = _every_field_problem(body, body_type) or [_problem(error)]
        raise ValidationException(detail=str(error), extra=problems) from None
    except (msgspec.DecodeError, RecursionError) as error:
        raise ClientException(detail=f"the body is not valid JSON: {error}") from None


def _problem(error: msgspec.ValidationError, field: str | None = None) -> dict[str, str]:
    found = _AT_PATH.match(str(error))
    message, path = (found["message"], found["path"]) if found else (str(error), None)
    return {"message": message, "key": ".".join(filter(None, (field, path))) or "body"}


def _every_field_problem(body: bytes, body_type: Any) -> list[dict[str, str]]:
    """msgspec stops at the first fault; a client fixing a form wants them all, so each field is checked alone."""
    try:
        fields = msgspec.structs.fields(body_type)
        document = msgspec.json.decode(body)  # strict decoding succeeded in parsing it, so its nesting is sane
    except (TypeError, msgspec.DecodeError, RecursionError):
        return []
    if not isinstance(document, dict):
        return []
    known = {field.encode_name: field for field in fields}
    problems = [{"message": f"unknown field `{name}`", "key": name} for name in document.keys() - known.keys()]
    for name, field in known.items():
        if name not in document:
            if field.required:
                problems.append({"message": f"missing required field `{name}`", "key": name})
            continue
        try:
            msgspec.convert(document[name], type=_without_unset(field.type), strict=True)
        except msgspec.ValidationError as error:
            problems.append(_problem(error, name))
    return problems


def _without_unset(field_type: Any) -> Any:
    if get_origin(field_type) in (Union, UnionType):
        kept = tuple(arg for arg in get_args(field_type) if arg is not UnsetType)
        return Union[kept]  # noqa: UP007 - built from a tuple at run time
    return field_type
