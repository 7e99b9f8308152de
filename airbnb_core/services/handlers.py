"""What runs once a unit of work has committed, by the events it recorded (cosmicpython's handlers).

``build_services`` wires these once, for every unit of work the use cases open.
"""

from __future__ import annotations

from collections.abc import Sequence

from airbnb_core.domain.events import BookingEvent, DatesHeld, Event, ListingChanged, ProfileChanged, UserDeactivated
from airbnb_core.ports.cache import PROFILES_SCOPE, CacheInvalidator, property_scope
from airbnb_core.ports.jobs import JobQueue
from airbnb_core.ports.unit_of_work import EventHandler
from airbnb_core.services.notifications import RELAY_JOB, RELAY_JOB_ID


def cache_scopes(event: Event) -> tuple[str, ...]:
    """The cached answers that ``event`` makes stale."""
    match event:
        case ListingChanged(property_id=property_id):
            return (property_scope(property_id),)
        case ProfileChanged() | UserDeactivated():
            return (PROFILES_SCOPE,)
        case BookingEvent(property_id=property_id) | DatesHeld(property_id=property_id):
            return (property_scope(property_id),)  # its calendar
    return ()


def invalidate_cache(cache: CacheInvalidator) -> EventHandler:
    """Forget, in one call per commit, every cached answer the committed events make stale."""

    def handle(events: Sequence[Event]) -> None:
        scopes = dict.fromkeys(scope for event in events for scope in cache_scopes(event))
        if scopes:
            cache.invalidate(*scopes)

    return handle


def relay_soon(jobs: JobQueue) -> EventHandler:
    """Relay the outbox right after a commit with booking news, rather than at the next periodic relay.

    One relay job at a time (a fixed job id): commits while one is queued add nothing to it, and it relays
    until the outbox is empty, so it takes their messages too.
    """

    def handle(events: Sequence[Event]) -> None:
        if any(isinstance(event, BookingEvent) for event in events):
            jobs.enqueue(RELAY_JOB, {}, job_id=RELAY_JOB_ID)

    return handle


def after_commit_handlers(*, cache: CacheInvalidator, jobs: JobQueue) -> tuple[EventHandler, ...]:
    return invalidate_cache(cache), relay_soon(jobs)
