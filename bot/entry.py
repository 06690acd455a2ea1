"""The ``zhuqi`` console script. It stops quietly on SIGTERM from its first moment.

Importing the bot takes a second or two, and aiohttp installs its own SIGTERM handler only when the
web app starts. Before that, Python's default handler would kill the process by the signal, and
``make run`` would report the recipe as failed. Here a stop request is a normal exit (0) at any
point; the heavy imports come after the handler is in place.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Stopped(SystemExit):
    """SIGTERM before the web app took over its own signal handling."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(0)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    try:
        from bot.cli import main as cli_main

        return cli_main()
    except (Stopped, KeyboardInterrupt):
        print("已停止 / stopped", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
