from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from airbnb_core.domain.errors import InvalidInput
from airbnb_core.domain.money import Money, round_half_up
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.stay import Stay
from tests import builders

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def a_property(**overrides: object) -> Property:
    """A listing at 100.00 EUR a night plus 25.00 cleaning: the prices these tests compute with."""
    return builders.a_property(**{"price_per_night": 10_000, "cleaning_fee": 2_500, **overrides})


def test_back_to_back_stays_do_not_overlap() -> None:
    assert not Stay(date(2030, 1, 1), date(2030, 1, 10)).overlaps(Stay(date(2030, 1, 10), date(2030, 1, 12)))
    assert Stay(date(2030, 1, 1), date(2030, 1, 10)).overlaps(Stay(date(2030, 1, 9), date(2030, 1, 12)))


def test_a_stay_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidInput) as err:
        Stay(date(2030, 1, 10), date(2030, 1, 10))
    assert err.value.errors[0].field == "check_out"


def test_rounding_is_half_up_not_bankers() -> None:
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("3.5")) == 4
    assert round_half_up(Decimal("2.49")) == 2


def test_money_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(TypeError):
        Money(10.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Money(10, "UDS")


def test_quote_for_a_short_stay_adds_cleaning_and_service_fee() -> None:
    quote = a_property().quote(Stay(date(2030, 1, 1), date(2030, 1, 4)), Decimal("0.10"))
    assert quote.nights == 3
    assert quote.nightly_subtotal == Money(30_000, "EUR")
    assert quote.service_fee == Money(3_250, "EUR")
    assert quote.total == Money(35_750, "EUR")


def test_weekly_discount_applies_from_seven_nights() -> None:
    place = a_property(price_per_night=9_999, weekly_discount_percent=15, cleaning_fee=0)
    six = place.quote(Stay(date(2030, 1, 1), date(2030, 1, 7)), Decimal("0.10"))
    seven = place.quote(Stay(date(2030, 1, 1), date(2030, 1, 8)), Decimal("0.10"))
    assert six.nightly_subtotal.amount == 59_994
    # 69_993 less 15% (10_498.95 rounds to 10_499)
    assert seven.nightly_subtotal.amount == 59_494
    assert (six.weekly_discount.amount, seven.weekly_discount.amount) == (0, 10_499)
    assert seven.service_fee.amount == 5_949  # 5_949.4 rounds down


def test_service_fee_rounds_half_up() -> None:
    place = a_property(price_per_night=5, cleaning_fee=0)
    assert place.quote(Stay(date(2030, 1, 1), date(2030, 1, 2)), Decimal("0.10")).service_fee.amount == 1


@pytest.mark.parametrize(
    ("policy", "days", "percent"),
    [
        (CancellationPolicy.FLEXIBLE, 1, 100),
        (CancellationPolicy.FLEXIBLE, 0, 0),
        (CancellationPolicy.MODERATE, 5, 100),
        (CancellationPolicy.MODERATE, 4, 50),
        (CancellationPolicy.MODERATE, 1, 50),
        (CancellationPolicy.MODERATE, 0, 0),
        (CancellationPolicy.STRICT, 14, 100),
        (CancellationPolicy.STRICT, 13, 50),
        (CancellationPolicy.STRICT, 7, 50),
        (CancellationPolicy.STRICT, 6, 0),
    ],
)
def test_guest_refund_follows_the_cancellation_policy(policy: CancellationPolicy, days: int, percent: int) -> None:
    assert policy.refund_percent(days) == percent


def test_property_validation_reports_every_broken_field() -> None:
    place = a_property(
        country="XX",
        latitude=91.0,
        timezone="Mars/Olympus",
        min_nights=5,
        max_nights=2,
        weekly_discount_percent=101,
        amenities=("wifi", "moat"),
        price_per_night=-1,
    )
    with pytest.raises(InvalidInput) as err:
        place.validate()
    fields = {e.field for e in err.value.errors}
    assert fields == {
        "country",
        "latitude",
        "timezone",
        "max_nights",
        "weekly_discount_percent",
        "amenities",
        "price_per_night",
    }


def test_a_valid_property_passes_validation() -> None:
    a_property(timezone="Europe/Amsterdam", amenities=("wifi", "kitchen")).validate()
