"""A `swingdesk db upgrade` process that runs on cue, so that several start at the same instant.

It imports the command line once, says READY, then for each database URL read from stdin runs
`swingdesk db upgrade` against it and answers ``RESULT OK`` or ``RESULT FAIL <error>``.
Process start-up (a second or more of imports) is paid once, outside the race.
"""

from __future__ import annotations

import os
import sys

from swingdesk.cli import app


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    say("READY")
    for line in sys.stdin:
        os.environ["DATABASE_URL"] = line.strip()
        try:
            app(["db", "upgrade"], standalone_mode=False)
        except BaseException as exc:  # every failure, SystemExit included, is the answer
            say("RESULT FAIL " + f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400])
        else:
            say("RESULT OK")


if __name__ == "__main__":
    main()
