#!/usr/bin/env python3
"""tc0c_query.py - ask a tc0c board (docs/boards.md) about strings over its UART.

usage: tc0c_query.py PORT [STRING ...] [--baud B] [--timeout S]
                     [--model MODEL [--tc0c PATH]]

Sends each STRING followed by '\\n' and prints `STRING -> REPLY`; without
STRING arguments it reads strings from standard input, one per line.  The
board replies 1 (accept) or 0 (reject), one character per position for
label models, E (a byte outside the vocabulary) or L (not exactly n
symbols).  With --model it also runs `tc0c run MODEL STRING` and says
whether board and reference agree (exit 3 on a disagreement).

Only the Python standard library (termios, os, select): no pyserial.
PORT is e.g. /dev/ttyUSB1 (iCEBreaker, HX8K breakout, Arty: the FTDI's
second interface), /dev/ttyUSB0 (ULX3S) or /dev/ttyUSB1 / ttyACM0 (Tang
Nano 9K).
"""
import argparse
import os
import select
import subprocess
import sys
import termios
import time


def open_port(path, baud):
    speed = getattr(termios, "B%d" % baud, None)
    if speed is None:
        sys.exit("tc0c_query: unsupported baud rate %d" % baud)
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    attr = termios.tcgetattr(fd)
    # raw 8N1, no flow control, no echo, no line editing
    attr[0] = 0                                                     # iflag
    attr[1] = 0                                                     # oflag
    attr[2] = termios.CS8 | termios.CREAD | termios.CLOCAL          # cflag
    attr[3] = 0                                                     # lflag
    attr[4] = attr[5] = speed                                       # ispeed, ospeed
    attr[6][termios.VMIN] = 0
    attr[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attr)
    termios.tcflush(fd, termios.TCIOFLUSH)
    return fd


def query(fd, s, timeout):
    """Sends s + '\\n'; returns the reply line without '\\n' (None on timeout)."""
    data = s.encode("latin-1") + b"\n"
    while data:
        _, w, _ = select.select([], [fd], [], timeout)
        if not w:
            return None
        data = data[os.write(fd, data):]
    reply = b""
    end = time.monotonic() + timeout
    while not reply.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], left)
        if r:
            reply += os.read(fd, 256)
    return reply[:-1].decode("latin-1")


def reference(tc0c, model, s):
    """The reply the board should give, from `tc0c run`."""
    p = subprocess.run([tc0c, "run", model, s], capture_output=True, text=True)
    if p.returncode != 0:
        return "E"
    out = p.stdout.strip()
    if out in ("accept", "reject"):
        return "1" if out == "accept" else "0"
    return "".join(out.split())  # single-character labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port")
    ap.add_argument("strings", nargs="*")
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per reply")
    ap.add_argument("--model", help="compare with `tc0c run MODEL STRING`")
    ap.add_argument("--tc0c", default=os.path.join(os.path.dirname(__file__), "..", "build", "tc0c"))
    a = ap.parse_args()
    try:
        fd = open_port(a.port, a.baud)
    except OSError as e:
        sys.exit("tc0c_query: %s: %s" % (a.port, e.strerror))
    strings = a.strings or (line.rstrip("\r\n") for line in sys.stdin)
    bad = 0
    for s in strings:
        if not s:
            continue
        r = query(fd, s, a.timeout)
        if r is None:
            print("%s -> (no reply within %gs)" % (s, a.timeout))
            bad += 1
            continue
        if a.model:
            ref = reference(a.tc0c, a.model, s)
            ok = r == ref or r == "L"
            bad += not ok
            note = "   (not the board's n)" if r == "L" else "" if ok else "   MISMATCH: reference %s" % ref
            print("%s -> %s%s" % (s, r, note))
        else:
            print("%s -> %s" % (s, r))
        sys.stdout.flush()
    os.close(fd)
    sys.exit(3 if bad else 0)


if __name__ == "__main__":
    main()
