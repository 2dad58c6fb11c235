#!/usr/bin/env python3
"""Run every fenced ```python and ```lua block of a Markdown file, so the
snippets in README.md and docs/ cannot rot.

    run_snippets.py FILE.md [--python PY] [--lua LUA]

Each block runs in a fresh process, in a temporary directory; a block fails
the run if it exits non-zero. Blocks whose first line is "# not run" (or
"-- not run") are skipped by design and listed. Prints 'N passed, N failed'.
"""

import argparse
import re
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("markdown")
ap.add_argument("--python", default="/usr/bin/python3")
ap.add_argument("--lua", default="lua5.4")
args = ap.parse_args()

text = open(args.markdown, encoding="utf-8").read()
blocks = re.findall(r"^```(python|lua)\n(.*?)^```", text, flags=re.S | re.M)
if not blocks:
    print(f"{args.markdown}: no python or lua blocks")
    sys.exit(1)
passed = failed = 0
for n, (lang, code) in enumerate(blocks, 1):
    first = code.splitlines()[0].strip() if code.strip() else ""
    if first in ("# not run", "-- not run"):
        print(f"block {n} ({lang}): not run by design")
        continue
    cmd = [args.python, "-"] if lang == "python" else [args.lua, "-"]
    with tempfile.TemporaryDirectory() as cwd:
        r = subprocess.run(cmd, input=code, text=True, capture_output=True, cwd=cwd, timeout=120)
    if r.returncode == 0:
        passed += 1
        print(f"block {n} ({lang}): ok")
    else:
        failed += 1
        print(f"block {n} ({lang}): FAILED (exit {r.returncode})\n{code}\n--- output:\n"
              f"{r.stdout}{r.stderr}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
