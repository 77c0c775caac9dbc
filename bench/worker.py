"""Worker process of the bench: runs one task from a JSON job on stdin, prints a JSON result.

Started by ``bench.context.run_task``; not meant to be run by hand.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from typing import Any

from bench.context import RESULT_PREFIX, Conn, Task


def main() -> None:
    """Read the job, run its task on a fresh event loop, print the result on one prefixed line."""
    job: dict[str, Any] = json.loads(sys.stdin.read())
    module_name, func_name = job["task"].split(":")
    task: Task = getattr(importlib.import_module(module_name), func_name)
    result: dict[str, Any] = asyncio.run(task(Conn(**job["conn"]), job["params"]))
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
