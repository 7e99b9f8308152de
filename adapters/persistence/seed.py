"""Realistic demo data in bulk: COPY on PostgreSQL, large executemany batches on SQLite.

Rows are generated here, not through the repositories: going through the ORM one entity at a time
would take an hour for half a million bookings. The rows keep every rule the schema and the core
keep: server-side prices, no overlapping active stays, reviews only of confirmed stays that are
over, exact rating averages.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import argon2
import sqlalchemy as sa
from psycopg.types.json import Jsonb

from adapters.persistence.database import create_engine
from adapters.persistence.models import Base
from airbnb_core.domain.bookings import REQUEST_TO_BOOK_WINDOW, BookingStatus
from airbnb_core.domain.properties import AMENITIES, CancellationPolicy
from airbnb_core.domain.search import KM_PER_DEGREE_LATITUDE, KM_PER_DEGREE_LONGITUDE_AT_EQUATOR

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published: every demo user logs in with it
SERVICE_FEE_PERCENT = 10  # the default AIRBNB_SERVICE_FEE_RATE
HOLD = timedelta(minutes=15)  # the default AIRBNB_BOOKING_HOLD_MINUTES
SPREAD_KM = 15.0
BATCH = 10_000

Progress = Callable[[str, int], None]

# The columns each generator fills, in the order of its row tuples.
COLUMNS = {
    "users": ("id", "name", "email", "password_hash", "is_host", "is_admin", "is_active", "created_at"),
    "properties": (
        "id", "host_id", "title", "description", "location", "city", "country", "latitude", "longitude", "timezone",
        "price_per_night", "currency", "cleaning_fee", "weekly_discount_percent", "max_guests", "min_nights",
        "max_nights", "instant_book", "cancellation_policy", "amenities", "is_active", "rating_avg", "review_count",
        "created_at", "updated_at",
    ),
    "bookings": (
        "id", "user_id", "property_id", "check_in_date", "check_out_date", "guests", "status", "nightly_subtotal",
        "cleaning_fee", "service_fee", "total_price", "currency", "hold_expires_at", "created_at", "updated_at",
    ),
    "reviews": ("id", "booking_id", "user_id", "property_id", "rating", "comment", "created_at"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SeedCounts:
    users: int
    properties: int
    bookings: int
    reviews: int


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    timezone: str
    currency: str
    latitude: float
    longitude: float
    nightly: int
    neighbourhoods: tuple[str, ...]


# name | country | time zone | currency | latitude | longitude | a typical night | neighbourhoods
# A night is in the currency's minor unit; JPY, KRW, ISK and CLP have none.
_CITY_TABLE = """
Paris | FR | Europe/Paris | EUR | 48.8566 | 2.3522 | 15_000 | Le Marais, Montmartre, Saint-Germain
London | GB | Europe/London | GBP | 51.5074 | -0.1278 | 14_000 | Shoreditch, Notting Hill, Camden
Amsterdam | NL | Europe/Amsterdam | EUR | 52.3676 | 4.9041 | 16_000 | Jordaan, De Pijp, Oud-West
Berlin | DE | Europe/Berlin | EUR | 52.5200 | 13.4050 | 10_000 | Kreuzberg, Prenzlauer Berg, Mitte
Barcelona | ES | Europe/Madrid | EUR | 41.3874 | 2.1686 | 12_000 | Gràcia, El Born, Eixample
Madrid | ES | Europe/Madrid | EUR | 40.4168 | -3.7038 | 10_000 | Malasaña, La Latina, Chamberí
Lisbon | PT | Europe/Lisbon | EUR | 38.7223 | -9.1393 | 9_500 | Alfama, Bairro Alto, Príncipe Real
Rome | IT | Europe/Rome | EUR | 41.9028 | 12.4964 | 12_000 | Trastevere, Monti, Testaccio
Vienna | AT | Europe/Vienna | EUR | 48.2082 | 16.3738 | 10_500 | Neubau, Leopoldstadt, Wieden
Prague | CZ | Europe/Prague | CZK | 50.0755 | 14.4378 | 220_000 | Malá Strana, Vinohrady, Žižkov
Budapest | HU | Europe/Budapest | HUF | 47.4979 | 19.0402 | 3_500_000 | Belváros, Erzsébetváros, Újlipótváros
Copenhagen | DK | Europe/Copenhagen | DKK | 55.6761 | 12.5683 | 120_000 | Nørrebro, Vesterbro, Christianshavn
Stockholm | SE | Europe/Stockholm | SEK | 59.3293 | 18.0686 | 150_000 | Södermalm, Östermalm, Gamla stan
Zurich | CH | Europe/Zurich | CHF | 47.3769 | 8.5417 | 20_000 | Niederdorf, Seefeld, Wiedikon
Reykjavik | IS | Atlantic/Reykjavik | ISK | 64.1466 | -21.9426 | 30_000 | Miðborg, Vesturbær, Hlíðar
Istanbul | TR | Europe/Istanbul | TRY | 41.0082 | 28.9784 | 300_000 | Beyoğlu, Kadıköy, Sultanahmet
Warsaw | PL | Europe/Warsaw | PLN | 52.2297 | 21.0122 | 40_000 | Śródmieście, Praga, Mokotów
New York | US | America/New_York | USD | 40.7128 | -74.0060 | 22_000 | Williamsburg, West Village, Harlem
San Francisco | US | America/Los_Angeles | USD | 37.7749 | -122.4194 | 20_000 | Mission District, North Beach, Nob Hill
Miami | US | America/New_York | USD | 25.7617 | -80.1918 | 18_000 | South Beach, Wynwood, Little Havana
Chicago | US | America/Chicago | USD | 41.8781 | -87.6298 | 15_000 | Wicker Park, Lincoln Park, River North
Toronto | CA | America/Toronto | CAD | 43.6532 | -79.3832 | 17_000 | Kensington Market, The Annex, Leslieville
Vancouver | CA | America/Vancouver | CAD | 49.2827 | -123.1207 | 18_000 | Kitsilano, Gastown, Mount Pleasant
Mexico City | MX | America/Mexico_City | MXN | 19.4326 | -99.1332 | 150_000 | Roma Norte, Condesa, Coyoacán
Buenos Aires | AR | America/Argentina/Buenos_Aires | ARS | -34.6037 | -58.3816 | 6000000 | Palermo, San Telmo, Recoleta
Rio de Janeiro | BR | America/Sao_Paulo | BRL | -22.9068 | -43.1729 | 40_000 | Copacabana, Ipanema, Santa Teresa
Lima | PE | America/Lima | PEN | -12.0464 | -77.0428 | 25_000 | Miraflores, Barranco, San Isidro
Bogotá | CO | America/Bogota | COP | 4.7110 | -74.0721 | 25_000_000 | Chapinero, La Candelaria, Usaquén
Tokyo | JP | Asia/Tokyo | JPY | 35.6762 | 139.6503 | 18_000 | Shibuya, Shinjuku, Asakusa
Seoul | KR | Asia/Seoul | KRW | 37.5665 | 126.9780 | 150_000 | Hongdae, Itaewon, Bukchon
Bangkok | TH | Asia/Bangkok | THB | 13.7563 | 100.5018 | 200_000 | Sukhumvit, Silom, Ari
Singapore | SG | Asia/Singapore | SGD | 1.3521 | 103.8198 | 25_000 | Tiong Bahru, Chinatown, Katong
Ubud | ID | Asia/Makassar | IDR | -8.5069 | 115.2625 | 90_000_000 | Penestanan, Nyuh Kuning, Padang Tegal
Hong Kong | HK | Asia/Hong_Kong | HKD | 22.3193 | 114.1694 | 120_000 | Sheung Wan, Wan Chai, Tsim Sha Tsui
Sydney | AU | Australia/Sydney | AUD | -33.8688 | 151.2093 | 22_000 | Surry Hills, Bondi, Newtown
Melbourne | AU | Australia/Melbourne | AUD | -37.8136 | 144.9631 | 18_000 | Fitzroy, St Kilda, Carlton
Auckland | NZ | Pacific/Auckland | NZD | -36.8485 | 174.7633 | 19_000 | Ponsonby, Parnell, Devonport
Cape Town | ZA | Africa/Johannesburg | ZAR | -33.9249 | 18.4241 | 150_000 | Bo-Kaap, Sea Point, Woodstock
Marrakesh | MA | Africa/Casablanca | MAD | 31.6295 | -7.9811 | 80_000 | Medina, Gueliz, Hivernage
Dubai | AE | Asia/Dubai | AED | 25.2048 | 55.2708 | 70_000 | Dubai Marina, Jumeirah, Deira
"""


def _city(line: str) -> City:
    name, country, timezone, currency, latitude, longitude, nightly, neighbourhoods = line.split(" | ")
    return City(name, country, timezone, currency, float(latitude), float(longitude), int(nightly),
                tuple(neighbourhoods.split(", ")))  # fmt: skip


CITIES = tuple(_city(line) for line in _CITY_TABLE.strip().splitlines())

# (kind, price factor, fewest and most guests)
KINDS = (
    ("studio", 0.7, 1, 2),
    ("apartment", 1.0, 2, 4),
    ("loft", 1.2, 2, 4),
    ("flat", 0.9, 2, 5),
    ("townhouse", 1.6, 4, 8),
    ("house", 1.8, 4, 10),
    ("cottage", 1.3, 2, 6),
    ("penthouse", 2.6, 2, 6),
    ("guesthouse", 0.8, 1, 4),
    ("villa", 3.0, 6, 12),
)
ADJECTIVES = (
    "Sunny", "Cosy", "Bright", "Quiet", "Charming", "Modern", "Spacious", "Stylish", "Rustic", "Elegant",
    "Minimalist", "Airy", "Leafy", "Historic", "Colourful", "Serene",
)  # fmt: skip
FEATURES = (
    "with a balcony", "with a garden", "with a rooftop terrace", "near the old town", "by the river",
    "with a view", "near the market", "steps from the metro", "with a courtyard", "with a fireplace",
)  # fmt: skip
SENTENCES = (
    "A short walk from cafés, bakeries and the weekly market.",
    "Fast wifi and a proper desk make it easy to work from here.",
    "Fresh linen and towels are provided, and the kitchen is fully equipped.",
    "Public transport stops right outside the building.",
    "The bedroom faces the courtyard and stays quiet at night.",
    "Original floors, high ceilings and lots of natural light.",
    "Perfect for couples, solo travellers and small families.",
    "Self check-in with a keypad, so you can arrive at any hour.",
    "Restaurants, galleries and parks are all within a few minutes.",
    "Recently renovated with care and decorated by local makers.",
    "Street parking is free in the evenings and at weekends.",
    "The host lives nearby and is happy to share tips.",
)
FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Bea", "Carlos", "Chen", "Chloe", "Dara", "David", "Elena", "Emeka",
    "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jonas", "Kai", "Kenji", "Lars", "Leila",
    "Liam", "Lucia", "Maya", "Mateo", "Mia", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Sara", "Sofia",
    "Tariq", "Theo", "Uma", "Yara", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Andersen", "Bauer", "Costa", "Dubois", "Fischer", "Garcia", "Haddad", "Hansen", "Ito", "Jensen",
    "Kim", "Kowalski", "Kumar", "Lopez", "Martin", "Moreau", "Mueller", "Nakamura", "Novak", "Okafor", "Olsen",
    "Park", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Tanaka", "Van Dijk", "Wang",
    "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
COMMENTS = {
    5: ("Wonderful stay, exactly as described.", "Spotless, central and the host was lovely.", "Would come back!"),
    4: ("Great location, a little noisy at night.", "Very comfortable; check-in took a while.", "Lovely place."),
    3: ("Fine for a short stay.", "Good value, but the photos flatter it.", "Decent, the wifi was slow."),
    2: ("Not as clean as we hoped.", "The heating did not work well.", "Too far from everything."),
    1: ("The listing was misleading.", "Would not recommend.", "Very disappointing stay."),
}
# How common each amenity is; the rest appear in one listing in ten.
AMENITY_SHARE = {
    "wifi": 0.95, "smoke_alarm": 0.85, "kitchen": 0.8, "heating": 0.8, "hair_dryer": 0.7, "iron": 0.6,
    "washer": 0.6, "tv": 0.55, "carbon_monoxide_alarm": 0.5, "dedicated_workspace": 0.45, "air_conditioning": 0.4,
    "dryer": 0.35, "free_parking": 0.3, "elevator": 0.3, "crib": 0.2, "pets_allowed": 0.2, "breakfast": 0.15,
}  # fmt: skip
POLICIES = (CancellationPolicy.FLEXIBLE, CancellationPolicy.MODERATE, CancellationPolicy.STRICT)


def seed_database(
    url: str,
    *,
    users: int,
    properties: int,
    bookings: int,
    reviews: int,
    rng_seed: int = 42,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SeedCounts:
    """Fill a database migrated to head with demo data, in one transaction; return how many rows went in.

    ``progress(stage, rows)`` hears every 10,000 rows and at the end of each stage: users,
    properties, bookings, reviews, then ratings (the properties given their average). About one
    user in ten is a host. Every user logs in with the password ``demo-password``: a
    single argon2id hash is computed once and shared, since hashing is deliberately slow. Bookings
    run from a year ago to months ahead, mostly confirmed; ``reviews`` is an upper bound, as only
    confirmed stays that are over may be reviewed. The same ``rng_seed`` gives the same rows (ids
    and emails included), so seeding one database twice needs another seed.
    """
    if properties and not users:
        raise ValueError("properties need at least one user to host them")
    if bookings and (not properties or users < 2):
        raise ValueError("bookings need a property and at least two users, a host and a guest")
    report = progress or (lambda _stage, _rows: None)
    generator = _Generator(random.Random(rng_seed), now or datetime.now(UTC))  # noqa: S311 - reproducible, not secret
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            write = _copy if connection.dialect.name == "postgresql" else _insert_many
            counts = SeedCounts(
                users=write(connection, "users", generator.users(users), report),
                properties=write(connection, "properties", generator.properties(properties), report),
                bookings=write(connection, "bookings", generator.bookings(bookings), report),
                reviews=write(connection, "reviews", generator.reviews(reviews), report),
            )
            rated = connection.execute(sa.text(_RATINGS)).rowcount
            report("ratings", rated)
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return counts


# Half up to the cent of a star, in integer arithmetic so that both dialects round alike:
# floor((200 * sum + count) / (2 * count)) is round_half_up(100 * sum / count).
_RATINGS = """
UPDATE properties
SET rating_avg = stats.hundredths / 100.0, review_count = stats.reviews
FROM (
    SELECT property_id, (SUM(rating) * 200 + COUNT(*)) / (2 * COUNT(*)) AS hundredths, COUNT(*) AS reviews
    FROM reviews GROUP BY property_id
) AS stats
WHERE properties.id = stats.property_id
"""


@dataclass(slots=True)
class _Listing:
    """What bookings need to know about a generated property."""

    id: uuid.UUID
    host: int
    created_at: datetime
    price: int
    cleaning_fee: int
    weekly_discount: int
    currency: str
    max_guests: int
    min_nights: int
    max_nights: int


class _Generator:
    """Rows as ``COLUMNS`` lists them. Later tables draw on what earlier ones generated."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self._rng = rng
        self._now = now
        self._today = now.date()
        self._user_ids: list[uuid.UUID] = []
        self._hosts = 0
        self._listings: list[_Listing] = []
        self._reviewable: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, date]] = []
        self._password_hash = argon2.PasswordHasher().hash(DEMO_PASSWORD)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def _ago(self, low_days: float, high_days: float) -> datetime:
        return self._now - timedelta(days=self._rng.uniform(low_days, high_days))

    def users(self, count: int) -> Iterator[tuple[Any, ...]]:
        rng = self._rng
        self._hosts = max(1, round(count / 10)) if count else 0
        for i in range(count):
            user_id = self._uuid()
            self._user_ids.append(user_id)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last.replace(' ', '')}.{i}@example.com".lower()
            active = rng.random() > 0.01
            yield (user_id, f"{first} {last}", email, self._password_hash, i < self._hosts, False, active,
                   self._ago(400, 1500))  # fmt: skip

    def properties(self, count: int) -> Iterator[tuple[Any, ...]]:
        rng = self._rng
        for _ in range(count):
            city = rng.choice(CITIES)
            kind, factor, fewest, most = rng.choice(KINDS)
            neighbourhood = rng.choice(city.neighbourhoods)
            unit = 10 ** max(0, len(str(city.nightly)) - 3)  # prices in round numbers of each currency
            price = max(unit, round(city.nightly * factor * rng.lognormvariate(0, 0.35) / unit) * unit)
            cleaning_fee = round(price * rng.choice((0, 0.1, 0.2, 0.3)) / unit) * unit
            min_nights = rng.choices((1, 2, 3, 7), weights=(50, 30, 15, 5))[0]
            max_nights = max(min_nights, rng.choice((14, 30, 90, 365)))
            created_at = self._ago(30, 380)
            listing = _Listing(
                self._uuid(), rng.randrange(self._hosts), created_at, price, cleaning_fee,
                rng.choice((0, 0, 0, 5, 10, 15, 20)), city.currency, rng.randint(fewest, most), min_nights, max_nights,
            )  # fmt: skip
            self._listings.append(listing)
            title = f"{rng.choice(ADJECTIVES)} {kind} {rng.choice(FEATURES)} in {neighbourhood}"
            description = " ".join(rng.sample(SENTENCES, rng.randint(2, 4)))
            latitude, longitude = self._near(city)
            amenities = sorted(a for a in AMENITIES if rng.random() < AMENITY_SHARE.get(a, 0.1))
            yield (
                listing.id, self._user_ids[listing.host], title, description, f"{neighbourhood}, {city.name}",
                city.name, city.country, latitude, longitude, city.timezone, price, city.currency, cleaning_fee,
                listing.weekly_discount, listing.max_guests, min_nights, max_nights, rng.random() < 0.45,
                rng.choices(POLICIES, weights=(40, 40, 20))[0].value, amenities, rng.random() > 0.03, None, 0,
                created_at, created_at,
            )  # fmt: skip

    def _near(self, city: City) -> tuple[float, float]:
        # Denser towards the centre, as listings are; distances as in airbnb_core.domain.search.Circle.
        distance, bearing = SPREAD_KM * self._rng.random() ** 1.5, self._rng.uniform(0, 2 * math.pi)
        km_per_degree = KM_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(math.radians(city.latitude))
        return (
            round(city.latitude + distance * math.cos(bearing) / KM_PER_DEGREE_LATITUDE, 6),
            round(city.longitude + distance * math.sin(bearing) / km_per_degree, 6),
        )

    def bookings(self, count: int) -> Iterator[tuple[Any, ...]]:
        """Per property, stays one after another, so that no two ever overlap whatever their status."""
        if not count:
            return
        rng = self._rng
        popularity = [rng.lognormvariate(0, 0.6) for _ in self._listings]
        per_listing = [0] * len(self._listings)
        for i in rng.choices(range(len(self._listings)), weights=popularity, k=count):
            per_listing[i] += 1
        first_day, last_day = self._today - timedelta(days=365), self._today + timedelta(days=180)
        for listing, stays in zip(self._listings, per_listing, strict=True):
            if not stays:
                continue
            day = max(first_day, listing.created_at.date() + timedelta(days=1))
            # Gaps that spread the stays over the calendar; the busiest listings run past its end.
            typical_gap = max(0, (last_day - day).days // stays - listing.min_nights - 3)
            for _ in range(stays):
                day += timedelta(days=rng.randint(0, 2 * typical_gap))
                nights = min(listing.max_nights, listing.min_nights + int(rng.expovariate(1 / 3)))
                check_in, day = day, day + timedelta(days=nights)
                yield self._booking(listing, check_in, day)

    def _booking(self, listing: _Listing, check_in: date, check_out: date) -> tuple[Any, ...]:
        rng = self._rng
        guest = rng.randrange(len(self._user_ids) - 1)
        guest += guest >= listing.host  # anyone but the host
        over = check_out <= self._today
        if check_in <= self._today:
            statuses = (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.DECLINED)
            status = rng.choices(statuses, weights=(88, 8, 3, 1) if over else (95, 5, 0, 0))[0]
            created_at = datetime.combine(check_in, self._now.timetz()) - timedelta(days=rng.uniform(1, 60))
        else:
            status = rng.choices(
                (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.PENDING,
                 BookingStatus.REQUESTED),
                weights=(80, 10, 5, 3, 2),
            )[0]  # fmt: skip
            created_at = self._ago(0, 60)
        if status is BookingStatus.REQUESTED:  # still waiting for the host: the request has a day to run
            created_at = self._ago(0, 0.9)
        elif status is BookingStatus.PENDING:  # mostly abandoned holds the expiry job has not swept yet
            created_at = self._ago(0, 2)
        created_at = min(max(created_at, listing.created_at + timedelta(hours=1)), self._now)
        hold_expires_at = {
            BookingStatus.PENDING: created_at + HOLD,
            BookingStatus.EXPIRED: created_at + HOLD,
            BookingStatus.REQUESTED: created_at + REQUEST_TO_BOOK_WINDOW,
        }.get(status)
        nights = (check_out - check_in).days
        subtotal = nights * listing.price
        if nights >= 7:
            subtotal -= _share(subtotal, listing.weekly_discount)
        service_fee = _share(subtotal + listing.cleaning_fee, SERVICE_FEE_PERCENT)
        booking_id, guest_id = self._uuid(), self._user_ids[guest]
        if over and status is BookingStatus.CONFIRMED:
            self._reviewable.append((booking_id, guest_id, listing.id, check_out))
        return (
            booking_id, guest_id, listing.id, check_in, check_out, rng.randint(1, listing.max_guests), status.value,
            subtotal, listing.cleaning_fee, service_fee, subtotal + listing.cleaning_fee + service_fee,
            listing.currency, hold_expires_at, created_at, min(created_at + timedelta(minutes=5), self._now),
        )  # fmt: skip

    def reviews(self, count: int) -> Iterator[tuple[Any, ...]]:
        rng = self._rng
        chosen = rng.sample(self._reviewable, min(count, len(self._reviewable)))
        for booking_id, guest_id, property_id, check_out in chosen:
            rating = rng.choices((5, 4, 3, 2, 1), weights=(50, 30, 12, 5, 3))[0]
            written = datetime.combine(check_out, self._now.timetz()) + timedelta(days=rng.uniform(0, 14))
            yield (self._uuid(), booking_id, guest_id, property_id, rating, rng.choice(COMMENTS[rating]),
                   min(written, self._now))  # fmt: skip


def _share(amount: int, percent: int) -> int:
    """``percent`` of ``amount`` rounded half up, as ``Money.share`` does, without Decimals."""
    return (amount * percent * 2 + 100) // 200


def _copy(connection: sa.Connection, table: str, rows: Iterable[Sequence[Any]], report: Progress) -> int:
    """COPY FROM STDIN through psycopg: an order of magnitude faster than INSERTs."""
    columns = Base.metadata.tables[table].c
    as_json = [i for i, name in enumerate(COLUMNS[table]) if isinstance(columns[name].type, sa.JSON)]
    done = 0
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
        for row in rows:
            if as_json:
                row = [Jsonb(value) if i in as_json else value for i, value in enumerate(row)]
            copy.write_row(row)
            done += 1
            if done % BATCH == 0:
                report(table, done)
    report(table, done)
    return done


def _insert_many(connection: sa.Connection, table: str, rows: Iterable[Sequence[Any]], report: Progress) -> int:
    """executemany in large batches, through the column types so values are stored as the ORM stores them."""
    insert, names = Base.metadata.tables[table].insert(), COLUMNS[table]
    done = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(names, row, strict=True)))
        if len(batch) == BATCH:
            connection.execute(insert, batch)
            done += len(batch)
            batch.clear()
            report(table, done)
    if batch:
        connection.execute(insert, batch)
        done += len(batch)
    report(table, done)
    return done
