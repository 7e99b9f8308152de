"""Properties (listings), their cancellation policies and the pricing rule."""

from __future__ import annotations

import enum
import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from airbnb_core.domain.errors import FieldError, InvalidInput
from airbnb_core.domain.money import CURRENCIES, Money
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.text import clean_text

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
LOCATION_MAX = 300
CITY_MAX = 100
# Outer bounds that keep every amount and total well inside a 64-bit column and every count in 32 bits.
PRICE_MAX = 1_000_000_000  # minor units per night (ten million of a two-decimal currency)
GUESTS_MAX = 100
NIGHTS_MAX = 730

# The documented amenity vocabulary; clients filter on these exact words.
AMENITIES = frozenset(
    {
        "wifi", "kitchen", "washer", "dryer", "air_conditioning", "heating", "dedicated_workspace",
        "tv", "hair_dryer", "iron", "pool", "hot_tub", "free_parking", "ev_charger", "crib", "gym",
        "bbq_grill", "breakfast", "indoor_fireplace", "smoking_allowed", "pets_allowed",
        "beachfront", "waterfront", "ski_in_out", "elevator", "wheelchair_accessible",
        "smoke_alarm", "carbon_monoxide_alarm",
    }
)  # fmt: skip

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)


class CancellationPolicy(enum.StrEnum):
    FLEXIBLE = "flexible"
    MODERATE = "moderate"
    STRICT = "strict"

    def refund_percent(self, days_before_check_in: int) -> int:
        """Share of the total refunded when the guest cancels this many days before check-in."""
        tiers = {
            CancellationPolicy.FLEXIBLE: ((1, 100),),
            CancellationPolicy.MODERATE: ((5, 100), (1, 50)),
            CancellationPolicy.STRICT: ((14, 100), (7, 50)),
        }[self]
        for min_days, percent in tiers:
            if days_before_check_in >= min_days:
                return percent
        return 0


@dataclass(frozen=True, slots=True)
class Quote:
    """The server-computed price of a stay."""

    nights: int
    nightly_subtotal: Money
    cleaning_fee: Money
    service_fee: Money
    weekly_discount: Money  # what the weekly discount took off nights × price per night

    @property
    def total(self) -> Money:
        return self.nightly_subtotal + self.cleaning_fee + self.service_fee


@dataclass(slots=True)
class Property:
    id: uuid.UUID
    host_id: uuid.UUID
    title: str
    description: str
    location: str
    city: str
    country: str
    latitude: float
    longitude: float
    price_per_night: int
    currency: str
    max_guests: int
    created_at: datetime
    updated_at: datetime
    timezone: str = "UTC"
    cleaning_fee: int = 0
    weekly_discount_percent: int = 0
    min_nights: int = 1
    max_nights: int = 365
    instant_book: bool = False
    cancellation_policy: CancellationPolicy = CancellationPolicy.FLEXIBLE
    amenities: tuple[str, ...] = ()
    is_active: bool = True
    rating_avg: Decimal | None = None
    review_count: int = 0

    def validate(self) -> None:
        """Trim the text fields, then raise ``InvalidInput`` listing every field that breaks the listing rules."""
        errors: list[FieldError] = []

        def check(ok: bool, field: str, message: str) -> None:
            if not ok:
                errors.append(FieldError(field, message))

        self.title = clean_text(self.title, "title", errors, max_length=TITLE_MAX)
        self.description = clean_text(
            self.description, "description", errors, max_length=DESCRIPTION_MAX, required=False, multiline=True
        )
        self.location = clean_text(self.location, "location", errors, max_length=LOCATION_MAX)
        self.city = clean_text(self.city, "city", errors, max_length=CITY_MAX)
        check(self.country in COUNTRIES, "country", "must be an ISO 3166-1 alpha-2 code such as FR")
        check(-90 <= self.latitude <= 90, "latitude", "must be between -90 and 90")
        check(-180 <= self.longitude <= 180, "longitude", "must be between -180 and 180")
        check(_is_timezone(self.timezone), "timezone", "must be an IANA time zone such as Europe/Paris")
        check(self.currency in CURRENCIES, "currency", "must be a supported ISO 4217 code such as USD")
        for name in ("price_per_night", "cleaning_fee"):
            check(0 <= getattr(self, name) <= PRICE_MAX, name, f"must be 0 to {PRICE_MAX} minor units")
        check(0 <= self.weekly_discount_percent <= 100, "weekly_discount_percent", "must be 0 to 100")
        check(1 <= self.max_guests <= GUESTS_MAX, "max_guests", f"must be 1 to {GUESTS_MAX}")
        check(1 <= self.min_nights <= NIGHTS_MAX, "min_nights", f"must be 1 to {NIGHTS_MAX}")
        check(
            self.min_nights <= self.max_nights <= NIGHTS_MAX,
            "max_nights",
            f"must be at least min_nights and at most {NIGHTS_MAX}",
        )
        unknown = sorted(set(self.amenities) - AMENITIES)
        check(not unknown, "amenities", f"unknown amenities: {', '.join(unknown)[:200]}")
        if errors:
            raise InvalidInput.of(errors)

    def quote(self, stay: Stay, service_fee_rate: Decimal) -> Quote:
        """Price a stay: nights × nightly price, less the weekly discount from 7 nights, plus fees."""
        nights = stay.nights
        undiscounted = Money(self.price_per_night, self.currency).times(nights)
        discount = Money(0, self.currency)
        if nights >= 7 and self.weekly_discount_percent:
            discount = undiscounted.share(Decimal(self.weekly_discount_percent) / 100)
        subtotal = undiscounted - discount
        cleaning = Money(self.cleaning_fee, self.currency)
        service = (subtotal + cleaning).share(service_fee_rate)
        return Quote(nights, subtotal, cleaning, service, discount)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, now: datetime) -> date:
        """The date at ``now`` where the property is: stays and cancellation notice count in its days."""
        return now.astimezone(self.zone).date()


@functools.cache
def known_timezones() -> frozenset[str]:
    # Scanning the tz database is slow; it does not change while the process runs. The system's
    # database also holds entries that are no place's zone ("localtime" is this machine's own).
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def _is_timezone(name: str) -> bool:
    if name not in known_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
