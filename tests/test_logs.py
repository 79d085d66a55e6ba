"""Chat libraries' DEBUG lines (whole requests: tokens, OAuth codes) never reach a log."""

from __future__ import annotations

import logging

import pytest

from bot.logs import no_debug


def test_a_quieted_logger_drops_debug_only_whatever_the_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # LOG_LEVEL=debug
    no_debug("tests.quiet")
    no_debug("tests.quiet")  # building an adapter again adds nothing twice
    quiet = logging.getLogger("tests.quiet")
    quiet.debug("POST /api/oauth.v2.access answered xoxb-secret")
    quiet.info("rate limited, retrying")
    logging.getLogger("tests.loud").debug("our own debug line")
    assert "xoxb-secret" not in caplog.text
    assert "rate limited" in caplog.text and "our own debug line" in caplog.text
    assert len(quiet.filters) == 1
