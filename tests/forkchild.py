"""A child for tests/test_forkserver.py: says what it got, then ends as its first argument asks.

`python -m tests.forkchild [N | raise | wait]`: exit status N, an uncaught exception, or sleep
until signalled.
"""

from __future__ import annotations

import os
import sys
import time

if __name__ == "__main__":
    print("argv", sys.argv[1:], "cwd", os.getcwd(), "env", os.environ.get("WHO"), flush=True)
    print("stdin", sys.stdin.read().strip(), file=sys.stderr)
    how = sys.argv[1] if sys.argv[1:] else "0"
    if how == "raise":
        raise ValueError("from the child")
    if how == "wait":
        time.sleep(60)
    sys.exit(int(how))
