"""What runs once a unit of work has committed, by the events it recorded (cosmicpython's handlers).

``build_services`` wires these once, for every unit of work the use cases open.
"""

from __future__ import annotations

from collections.abc import Sequence

from airbnb_core.domain.events import BookingEvent, DatesHeld, Event, ListingChanged, ProfileChanged, UserDeactivated
from airbnb_core.ports.cache import PROFILES_SCOPE, SEARCH_SCOPE, CacheInvalidator, property_scope
from airbnb_core.ports.unit_of_work import EventHandler


def cache_scopes(event: Event) -> tuple[str, ...]:
    """The cached answers that ``event`` makes stale."""
    match event:
        case ListingChanged(property_id=property_id):
            return property_scope(property_id), SEARCH_SCOPE
        case ProfileChanged():
            return (PROFILES_SCOPE,)
        case UserDeactivated():
            return PROFILES_SCOPE, SEARCH_SCOPE  # a deactivated host's listings leave search too
        case BookingEvent(property_id=property_id) | DatesHeld(property_id=property_id):
            return property_scope(property_id), SEARCH_SCOPE  # its calendar and dated searches
    return ()


def invalidate_cache(cache: CacheInvalidator) -> EventHandler:
    """Forget, in one call per commit, every cached answer the committed events make stale."""

    def handle(events: Sequence[Event]) -> None:
        scopes = dict.fromkeys(scope for event in events for scope in cache_scopes(event))
        if scopes:
            cache.invalidate(*scopes)

    return handle


def after_commit_handlers(*, cache: CacheInvalidator) -> tuple[EventHandler, ...]:
    return (invalidate_cache(cache),)
