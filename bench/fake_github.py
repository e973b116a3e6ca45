"""tests/fakegithub.py's FakeGitHub as a process of its own, for bench/bench_webhook.py.

    python bench/fake_github.py TOKEN

Prints the fake's URL on its first line, then serves until its standard input closes (the bench
holds a pipe to it, so the fake ends with the bench, however the bench ends). In a process of its
own, the fake's work does not compete with the bench's senders for one interpreter lock.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakegithub import FakeGitHub  # noqa: E402


def main() -> int:
    with FakeGitHub(token=sys.argv[1]) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()  # until the bench closes the pipe or exits
    return 0


if __name__ == "__main__":
    sys.exit(main())
