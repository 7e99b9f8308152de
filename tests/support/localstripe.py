"""localstripe, a Stripe-compatible server written on aiohttp, run as a subprocess for the Stripe gateway's tests.

It keeps its objects in memory (``--from-scratch``: not the file a previous run left behind), answers
Stripe's REST API for PaymentIntents, PaymentMethods, Charges and Refunds, and understands a few of
Stripe's test payment methods (``pm_card_visa``, ``pm_card_chargeCustomerFail``) and test card numbers.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

# Any key will do: localstripe only wants one of Stripe's shape.
API_KEY = "sk_test_localstripe"
# localstripe's card numbers that Stripe's documentation gives the same behaviour.
DECLINED_CARD = "4000000000000341"  # attaches, then every charge is declined (card_declined)
AUTHENTICATION_CARD = "4000002500003155"  # asks for 3-D Secure on every payment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_localstripe(timeout: float = 20.0) -> Iterator[str]:
    """Start localstripe on a free port, yield its base URL once it answers, stop it afterwards."""
    port = free_port()
    # Next to the test interpreter: the venv's console script, even when the venv is not activated.
    command = shutil.which("localstripe", path=str(Path(sys.executable).parent)) or shutil.which("localstripe")
    if command is None:
        raise RuntimeError("localstripe is not installed: pip install -e '.[test]'")
    # A file, not a pipe: it logs every request, and a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [command, "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_it_answers(process, url, log, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_it_answers(process: subprocess.Popen[bytes], url: str, log: IO[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"localstripe exited with {process.returncode}: {output[-2000:]}")
        try:
            httpx.get(f"{url}/v1/balance", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"localstripe did not answer on {url} within {timeout} s")


# Stripe's test payment method ids, and the test card numbers Stripe documents for the same behaviour.
TEST_CARD_NUMBERS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeDeclined": DECLINED_CARD,
    "pm_card_chargeDeclinedInsufficientFunds": DECLINED_CARD,  # localstripe declines every such card as card_declined
    "pm_card_authenticationRequired": AUTHENTICATION_CARD,
}


def payment_methods_of(url: str, api_key: str = API_KEY) -> Callable[[str], str]:
    """Stripe's test payment method ids (``pm_card_visa``…) as localstripe knows them: a new PaymentMethod of
    the matching test card number each time, since localstripe has the ids of only a few. Real Stripe in test
    mode knows every one of them, so a client there sends the ids as they are."""

    def payment_method(stripe_test_method: str) -> str:
        card = {"number": TEST_CARD_NUMBERS[stripe_test_method], "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        form = {"type": "card", **{f"card[{name}]": value for name, value in card.items()}}
        created = httpx.post(f"{url}/v1/payment_methods", data=form, auth=(api_key, ""))
        created.raise_for_status()
        return str(created.json()["id"])

    return payment_method
