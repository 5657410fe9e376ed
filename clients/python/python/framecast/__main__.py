"""``python -m framecast``: the ``framecast`` command (``--help`` for all of it)."""

import signal
import sys

from ._native import main


def run() -> int:
    # The server handles Ctrl-C itself and shuts down in order; Python's
    # handler would raise KeyboardInterrupt once it has.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return main(sys.argv)


if __name__ == "__main__":
    sys.exit(run())
