"""The Rasa server launcher: `python -m bot.server run …` installs the patches, then runs Rasa's own CLI."""
from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    """Install bot.patches (after their version check) and hand the arguments to Rasa's command line."""
    from bot import patches

    patches.install(patches.RASA_SERVER)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
