#!/usr/bin/env python3
"""Checks that every repository path named in README.md and docs/*.md exists.

A "repository path" is a word like compiler/ir.c or synth/flows/*.ys: it
starts with a top-level folder of the repository and ends in a file
extension (globs must match at least one file).  Paths under build/ are
generated and not checked; neither are words with placeholders (<name>,
BOARD, {a,b}).  Prints each missing path as FILE:LINE: PATH and exits 1.

usage: python3 scripts/check_paths.py [FILE...]   (run by `make lint`)
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = sorted(d for d in os.listdir(ROOT)
             if os.path.isdir(os.path.join(ROOT, d)) and d not in (".git", "build"))
PLACEHOLDER_RE = re.compile(r"[A-Z][A-Z0-9_]*(\.[a-z0-9]+)?")  # BOARD.mk, NAME
PATH_RE = re.compile(r"(?<![\w./-])((?:%s)/[\w.*/-]*\.[A-Za-z0-9]+)\b" % "|".join(map(re.escape, TOP)))


def missing_paths(path):
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            for m in PATH_RE.finditer(line):
                p = m.group(1).rstrip(".")
                if any(PLACEHOLDER_RE.fullmatch(part) for part in p.split("/")) or glob.glob(os.path.join(ROOT, p)):
                    continue
                yield lineno, p


def main(argv):
    files = argv or [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    bad = 0
    for f in files:
        for lineno, p in missing_paths(f):
            print(f"{os.path.relpath(f, ROOT)}:{lineno}: {p} does not exist", file=sys.stderr)
            bad += 1
    print(f"check_paths: {len(files)} files, {bad} missing paths")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
