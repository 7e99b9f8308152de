import json
import logging
from collections.abc import Iterator

import pytest

from adapters.http.headers import current_request_id
from adapters.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_json_lines_carry_the_request_id_the_extra_fields_and_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    token = current_request_id.set("req-1")
    try:
        logging.getLogger("airbnb.test").info("served %s", "it", extra={"status": 200})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("airbnb.test").exception("it failed")
    finally:
        current_request_id.reset(token)
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "served it" and first["status"] == 200 and first["request_id"] == "req-1"
    assert first["level"] == "INFO" and first["logger"] == "airbnb.test"
    assert second["level"] == "ERROR" and "RuntimeError: boom" in second["exception"]


@pytest.mark.usefixtures("restored_logging")
def test_text_lines_name_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text")
    logging.getLogger("airbnb.test").warning("careful")
    assert "WARNING airbnb.test [-]: careful" in capsys.readouterr().err
