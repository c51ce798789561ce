#!/usr/bin/env python3
"""model_json.py - reads a tc0c model file with exactly the JSON rules of
`tc0c check` (docs/model-format.md, "JSON grammar"): RFC 8259 as Python's
strict json reads it, UTF-8 without a byte order mark, no NaN/Infinity, no
NUL (\\u0000) in any string or key, nesting at most 256 levels, numbers of
at most 63 characters.  Python flows that read models should use load();
tests/json_corpus.sh checks that this reader and tc0c agree file by file.

usage: scripts/model_json.py FILE...   (prints "FILE: ok" or "FILE: error:
...", exits 2 if any file is not valid JSON for tc0c)
"""
import json
import sys

MAX_DEPTH = 256
MAX_NUMBER = 63


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def _number(kind):
    def parse(text):
        if len(text) > MAX_NUMBER:
            raise ValueError(f"a number written with more than {MAX_NUMBER} characters")
        return kind(text)
    return parse


def _check(value, depth, path):
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError(f"{path}: a string may not contain NUL (\\u0000)")
        return
    if isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested too deeply (more than {MAX_DEPTH} levels)")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            if isinstance(k, str) and "\0" in k:
                raise ValueError(f"{path}: a key may not contain NUL (\\u0000)")
            _check(v, depth + 1, f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]")


def _pairs(pairs):
    # Keep every pair so that a NUL key is seen even when duplicated.
    d = {}
    for k, v in pairs:
        if "\0" in k:
            raise ValueError("a key may not contain NUL (\\u0000)")
        d[k] = v
    return d


def loads(data):
    """Parses bytes (or str) with tc0c's JSON rules; raises ValueError."""
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            raise ValueError("a byte order mark is not allowed")
        data = data.decode("utf-8")  # strict: invalid UTF-8 raises
    try:
        value = json.loads(data, parse_constant=_reject_constant, parse_int=_number(int),
                           parse_float=_number(float), object_pairs_hook=_pairs)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    _check(value, 0, "")
    return value


def load(path):
    with open(path, "rb") as f:
        return loads(f.read())


def main(argv):
    rc = 0
    for path in argv[1:]:
        try:
            load(path)
            print(f"{path}: ok")
        except (ValueError, OSError) as e:
            print(f"{path}: error: {e}")
            rc = 2
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
