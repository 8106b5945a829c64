"""Long-running local processes (`stack up --foreground`, `lambdas serve`) stop on SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading


class Termination:
    """Catches SIGTERM from construction on, so that a stop during start-up still runs the clean-up."""

    def __init__(self) -> None:
        self._requested = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: self._requested.set())

    def wait(self) -> None:
        """Block until SIGTERM or Ctrl-C."""
        try:
            while not self._requested.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
