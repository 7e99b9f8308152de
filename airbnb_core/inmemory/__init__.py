"""Standard-library adapters for every port, so the core runs on its own.

They back the core's unit tests and let a script use the platform without a database or a web
server. They are real implementations (scrypt password hashes, HMAC-signed tokens, transactional
unit of work), sized for one process and modest data, not for production traffic. One module a port.
"""

from airbnb_core.inmemory.clock import FixedClock, SystemClock
from airbnb_core.inmemory.idempotency import InMemoryIdempotencyStore
from airbnb_core.inmemory.jobs import InlineJobQueue
from airbnb_core.inmemory.notifications import InMemoryDeliveryLog, RecordingNotifier
from airbnb_core.inmemory.payments import InMemoryPaymentGateway
from airbnb_core.inmemory.platform import InMemoryPlatform, in_memory_platform
from airbnb_core.inmemory.rate_limit import InMemoryRateLimiter
from airbnb_core.inmemory.security import HmacTokenService, ScryptPasswordHasher
from airbnb_core.inmemory.store import InMemoryStore, InMemoryUnitOfWork

__all__ = [
    "FixedClock",
    "HmacTokenService",
    "InMemoryDeliveryLog",
    "InMemoryIdempotencyStore",
    "InMemoryPaymentGateway",
    "InMemoryPlatform",
    "InMemoryRateLimiter",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InlineJobQueue",
    "RecordingNotifier",
    "ScryptPasswordHasher",
    "SystemClock",
    "in_memory_platform",
]
