"""The half-open stay ``[check_in, check_out)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from airbnb_core.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Stay:
    check_in: date
    check_out: date

    def __post_init__(self) -> None:
        if self.check_out <= self.check_in:
            raise InvalidInput.field("check_out", "must be after check_in")

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def overlaps(self, other: Stay) -> bool:
        """Half-open: a stay ending on the 10th and one starting on the 10th do not overlap."""
        return self.check_in < other.check_out and other.check_in < self.check_out
