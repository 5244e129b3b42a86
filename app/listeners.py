"""Calling the listeners an object keeps (registry, job runner): each one, with one failure logged and not passed
on, so one broken listener never stops the others or the change that they are told of."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)


def notify(listeners: Iterable[Callable[..., Any]], what: str, *args: Any) -> None:
    """Call every listener with `args`; `what` names them in the log when one fails."""
    for listener in list(listeners):
        try:
            listener(*args)
        except Exception:
            log.exception("a %s listener failed", what)
