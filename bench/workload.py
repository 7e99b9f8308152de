"""What the load generator asks for: the endpoints' paths, and wrk Lua scripts that rotate over them."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlencode

API = "/api/v1"
SEARCH_GUESTS = 2


def search_path(city: str, check_in: date, check_out: date, guests: int = SEARCH_GUESTS) -> str:
    query = urlencode(
        {"city": city, "check_in": check_in.isoformat(), "check_out": check_out.isoformat(), "guests": guests},
        quote_via=quote,
    )
    return f"{API}/properties?{query}"


def detail_path(property_id: str) -> str:
    return f"{API}/properties/{property_id}"


@dataclass(frozen=True)
class SearchSpace:
    """Every (city, check-in, nights) combination of the cache-cold search, in a scrambled but fixed order.

    Request ``n`` asks for combination ``(n * multiplier) mod size``: since ``multiplier`` is coprime
    with ``size``, the first ``size`` requests are all different, so none can be a cache hit, while
    consecutive requests still spread over cities, dates and stay lengths.
    """

    cities: tuple[str, ...]
    first_day: date
    days: int = 365
    max_nights: int = 7
    min_nights: int = 1
    extra_query: str = ""  # appended to every search's query string, e.g. "&sort=price_asc"

    @property
    def nights_choices(self) -> int:
        return self.max_nights - self.min_nights + 1

    @property
    def size(self) -> int:
        return len(self.cities) * self.days * self.nights_choices

    @property
    def multiplier(self) -> int:
        candidate = 7919  # a prime: coprime with size unless it divides it
        while math.gcd(candidate, self.size) != 1:
            candidate += 2
        return candidate

    def stay(self, n: int) -> tuple[str, date, date]:
        k = n * self.multiplier % self.size
        k, city = divmod(k, len(self.cities))
        extra_nights, day = divmod(k, self.days)
        check_in = self.first_day + timedelta(days=day)
        return self.cities[city], check_in, check_in + timedelta(days=extra_nights + self.min_nights)

    def path(self, n: int) -> str:
        return search_path(*self.stay(n)) + self.extra_query

    def lua(self, threads: int, offset: int = 0) -> str:
        """A wrk script whose thread ``t`` (of ``threads``) sends requests ``offset + t - 1``, then ``threads``
        further each time."""
        dates = [self.first_day + timedelta(days=d) for d in range(self.days + self.max_nights)]
        prefix = f"{API}/properties?city="
        return (
            _THREAD_NUMBERING
            + f"""
local cities = {_lua_list(quote(c) for c in self.cities)}
local dates = {_lua_list(d.isoformat() for d in dates)}
local size, multiplier, days, stride = {self.size}, {self.multiplier}, {self.days}, {threads}
local min_nights = {self.min_nights}
local n = 0

function init(args)
  n = thread_number - 1 + {offset}
end

function request()
  local k = (n * multiplier) % size
  n = n + stride
  local city = k % #cities
  k = (k - city) / #cities
  local day = k % days
  local nights = (k - day) / days + min_nights
  return wrk.format("GET", "{prefix}" .. cities[city + 1] .. "&check_in=" .. dates[day + 1]
    .. "&check_out=" .. dates[day + nights + 1] .. "&guests={SEARCH_GUESTS}{self.extra_query}")
end
"""
        )


def rotating_lua(paths: list[str]) -> str:
    """A wrk script sending a random one of ``paths`` each time (each wrk thread seeded differently)."""
    return (
        _THREAD_NUMBERING
        + f"""
local paths = {_lua_list(paths)}
local requests = {{}}

function init(args)
  math.randomseed(thread_number * 104729 + os.time())
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path)
  end
end

function request()
  return requests[math.random(#requests)]
end
"""
    )


def permuted_lua(paths: list[str], threads: int, offset: int = 0) -> str:
    """A wrk script sending ``paths`` in a scrambled order without repeating one before all were sent: request
    ``n`` (thread ``t`` sends ``offset + t - 1``, then ``threads`` further each time) is path
    ``n * multiplier mod len(paths)``, the multiplier being coprime with the count."""
    multiplier = 7919
    while math.gcd(multiplier, len(paths)) != 1:
        multiplier += 2
    width = len(paths[0])
    if any(len(path) != width for path in paths):
        raise ValueError("permuted_lua wants paths of one length (e.g. one per listing id)")
    # One string constant rather than a table of them: LuaJIT caps the constants of a chunk (~65k).
    return (
        _THREAD_NUMBERING
        + f"""
local paths = ({_lua_list(["".join(paths)])})[1]
local size, width, multiplier, stride = {len(paths)}, {width}, {multiplier}, {threads}
local n = 0

function init(args)
  n = thread_number - 1 + {offset}
end

function request()
  local k = (n * multiplier) % size
  n = n + stride
  return wrk.format("GET", paths:sub(k * width + 1, (k + 1) * width))
end
"""
    )


# setup() runs in wrk's main Lua state once per thread, before that thread's init().
_THREAD_NUMBERING = """
local threads_set_up = 0

function setup(thread)
  threads_set_up = threads_set_up + 1
  thread:set("thread_number", threads_set_up)
end
"""


def _lua_list(items: Iterable[str]) -> str:
    """A Lua table of strings. Paths are URL-encoded ASCII, whose JSON string literals Lua reads alike."""
    strings = list(items)
    if not all(s.isascii() for s in strings):
        raise ValueError("Lua string literals here must be ASCII: URL-encode the text first")
    return "{" + ", ".join(json.dumps(s) for s in strings) + "}"
