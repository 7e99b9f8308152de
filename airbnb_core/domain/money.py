"""Money in integer minor units, and the one rounding rule the product uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from airbnb_core.domain.errors import InvalidInput

# ISO 4217 codes the platform settles in. Kept explicit so a typo such as "UDS" is refused.
CURRENCIES = frozenset(
    """AED ARS AUD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY KES KRW MAD
    MXN MYR NOK NZD PEN PHP PLN QAR RON SAR SEK SGD THB TRY TWD UAH USD VND ZAR""".split()
)


def round_half_up(value: Decimal) -> int:
    """Round to the nearest minor unit, halves away from zero (banker's rounding is not used)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_currency(currency: str, field: str = "currency") -> str:
    if currency not in CURRENCIES:
        raise InvalidInput.field(field, "must be a supported ISO 4217 code such as USD or EUR")
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the currency's minor unit (cents); never a float."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int of minor units")
        check_currency(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)

    def share(self, rate: Decimal) -> Money:
        """``rate`` of this amount, rounded half up to the minor unit."""
        return Money(round_half_up(Decimal(self.amount) * rate), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")
