"""``python -m cookbooks.regenerate [NAME ...]``: run the cookbooks against the sandbox and store
them with their outputs, so that a reader on a code host sees the results without running them.

Every notebook by default, or the ones named (``rag_ingestion`` or ``rag_ingestion.ipynb``). A
notebook is written only if its run succeeded and printed nothing that must not be stored
(secrets, tokens, machine paths); the test ``tests/cookbooks`` checks the stored outputs are
what a fresh run prints.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import nbformat

from .execute import COOKBOOKS, execute, kernel_env, leaks, notebooks


def main(argv: list[str] | None = None) -> int:
    """Regenerate the named notebooks (all by default); 1 if any failed or leaked."""
    parser = argparse.ArgumentParser(prog="python -m cookbooks.regenerate", description=__doc__)
    parser.add_argument("names", nargs="*", help="notebooks to regenerate (default: all)")
    args = parser.parse_args(argv)
    paths = [COOKBOOKS / f"{n.removesuffix('.ipynb')}.ipynb" for n in args.names] or notebooks()
    failed = 0
    for path in paths:
        started = time.monotonic()
        try:
            notebook = execute(path, kernel_env())
        except Exception as exc:  # report and go on with the next notebook
            print(f"{path.name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        problems = leaks(json.dumps(notebook, ensure_ascii=False))
        if problems:
            print(f"{path.name}: not written, it shows {', '.join(problems)}", file=sys.stderr)
            failed += 1
            continue
        nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
        print(f"{path.name}: stored with outputs ({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
