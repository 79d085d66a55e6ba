"""Logging rules the chat adapters share."""

from __future__ import annotations

import logging

__all__ = ["no_debug"]


def no_debug(*names: str) -> None:
    """Drop these loggers' DEBUG records, whatever LOG_LEVEL says.

    Chat libraries log whole requests and answers at DEBUG: Slack's bot token and OAuth codes,
    Discord's interaction tokens in webhook URLs. None of it may reach a log.
    """
    for name in names:
        logger = logging.getLogger(name)
        if _above_debug not in logger.filters:
            logger.addFilter(_above_debug)


def _above_debug(record: logging.LogRecord) -> bool:
    """Whether a record is above DEBUG."""
    return record.levelno > logging.DEBUG
