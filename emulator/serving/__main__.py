"""``python -m emulator.serving serve``: the command a container (``docker run IMAGE serve``) or bte's
local-process runtime starts. Everything else is read from the environment (see settings.py)."""

from __future__ import annotations

import sys

from emulator.serving.server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
