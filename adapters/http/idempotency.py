"""The ``Idempotency-Key`` header: a retried request gets the first answer again instead of running twice.

To make an operation idempotent, its handler (a sync one, ``sync_to_thread=True``) asks for the
``idempotent`` dependency, declares ``Response[...]`` of its usual body, and wraps what it computes::

    def create(self, ..., idempotent: NamedDependency[IdempotentRequest]) -> Response[Booking]:
        return idempotent.respond(lambda: to_booking(bookings.request(current_user, cmd)))

The dependency documents the header in the OpenAPI document and refuses a malformed key before the
handler runs. Without the header the request runs as it would otherwise.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_200_OK

from adapters.http.problems import PROBLEM_JSON, STATUS_BY_KIND, domain_problem
from airbnb_core.domain.errors import Conflict, DomainError, InvalidInput
from airbnb_core.domain.users import User
from airbnb_core.ports.idempotency import IdempotencyStore, StoredResponse

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII; spaces only inside, since HTTP drops them around a header value.
_VALID_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
_KEY_RULE = "must be 1 to 255 printable ASCII characters, not beginning or ending with a space"
# How long a duplicate waits for the first request to answer before it is told to come back.
WAIT_FOR_FIRST_SECONDS = 5.0
_POLL_SECONDS = 0.05
# Answers that say nothing about the request, only about the moment: a retry must run it again.
_NOT_KEPT = {401, 429}


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "Idempotency key in use"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.retry_after_seconds = 1


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request (the user is already part of the key's namespace)."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))  # so that no two splits of the same bytes collide
        digest.update(part)
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    return _VALID_KEY.fullmatch(key) is not None


class IdempotentRequest:
    """One request, with or without a key; ``respond`` runs it at most once per user and key."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        user_id: uuid.UUID,
        key: str | None,
        fingerprint: str,
        status_code: int,
        wait_seconds: float = WAIT_FOR_FIRST_SECONDS,
    ) -> None:
        self._store = store
        self._user_id = user_id
        self._key = key
        self._fingerprint = fingerprint
        self._status_code = status_code
        self._wait_seconds = wait_seconds

    def respond(self, run: Callable[[], object]) -> Response[Any]:
        """The answer of ``run`` (a use case and its conversion to a response body), or the first one given
        under this key. Blocks while a duplicate is still running: call it on a worker thread."""
        if self._key is None:
            return Response(run(), status_code=self._status_code)
        reservation = self._store.reserve(self._user_id, self._key, self._fingerprint)
        deadline = time.monotonic() + self._wait_seconds
        while reservation is None:
            record = self._store.find(self._user_id, self._key)
            if record is not None:
                if record.fingerprint != self._fingerprint:
                    raise IdempotencyKeyReused(
                        f"this {IDEMPOTENCY_KEY_HEADER} was sent with another request; use a new key for a new request"
                    )
                if record.response is not None:
                    return _replay(record.response)
            if time.monotonic() >= deadline:
                raise IdempotencyKeyInUse(f"a request with this {IDEMPOTENCY_KEY_HEADER} is still being processed")
            if record is None:  # the first request failed on our side and gave the key up: run it ourselves
                reservation = self._store.reserve(self._user_id, self._key, self._fingerprint)
            else:
                time.sleep(_POLL_SECONDS)
        return self._run_once(reservation, run)

    def _run_once(self, reservation: uuid.UUID, run: Callable[[], object]) -> Response[Any]:
        try:
            answer = StoredResponse(self._status_code, encode_json(run()), "application/json")
        except DomainError as error:
            status = STATUS_BY_KIND[error.kind]
            if status in _NOT_KEPT or status >= 500:
                self._store.release(reservation)
                raise
            problem = domain_problem(error)
            answer = StoredResponse(status, encode_json(problem.content), PROBLEM_JSON)
        except BaseException:
            self._store.release(reservation)
            raise
        # Should this fail, the reservation stays without an answer: retries are told the key is in use
        # rather than run a request that may already have taken effect.
        self._store.complete(reservation, answer)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


def _replay(stored: StoredResponse) -> Response[Any]:
    return Response(
        stored.body, status_code=stored.status, media_type=stored.content_type, headers={REPLAYED_HEADER: "true"}
    )


def idempotent_request_dependency(store: IdempotencyStore) -> Provide:
    """The ``idempotent`` dependency: the request's key (refused before the handler runs when malformed)
    and its fingerprint, bound to ``store``."""

    async def provide_idempotent_request(
        request: Request[Any, Any, Any],
        current_user: NamedDependency[User],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name=IDEMPOTENCY_KEY_HEADER,
                required=False,
                description="A key of the client's choosing (a UUID, say), 1 to 255 printable ASCII characters "
                "(no space first or last): "
                "a retry with the same key and body within 24 hours gets the first response again instead of "
                "running twice; the same key with another body answers 422 `idempotency_key_reused`, and 409 "
                "`idempotency_key_in_use` (with `Retry-After`) while the first request is still running.",
                schema_extra={"minLength": 1, "maxLength": 255, "pattern": _VALID_KEY.pattern.join("^$")},
            ),
        ] = None,
    ) -> IdempotentRequest:
        if idempotency_key is not None and not valid_key(idempotency_key):
            raise InvalidInput.field(IDEMPOTENCY_KEY_HEADER, _KEY_RULE)
        handler_status = getattr(request.route_handler, "status_code", None)
        return IdempotentRequest(
            store,
            user_id=current_user.id,
            key=idempotency_key,
            fingerprint=fingerprint(request.method, request.url.path, await request.body()),
            status_code=handler_status if isinstance(handler_status, int) else HTTP_200_OK,
        )

    return Provide(provide_idempotent_request)
