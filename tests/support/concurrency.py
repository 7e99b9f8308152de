"""Racing callers for concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def race(actions: Sequence[Callable[[], object]], *, timeout: float = 60) -> list[object]:
    """Start every action at the same moment, each in its own thread; each outcome is its result or its exception."""
    outcomes: list[object] = [None] * len(actions)
    start = threading.Barrier(len(actions))

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = actions[i]()
        except Exception as error:  # the outcome under test, whatever it is
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
