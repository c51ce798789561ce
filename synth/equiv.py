#!/usr/bin/python3
"""Formal equivalence of tc0c netlists with Yosys 0.23 / ABC.

usage: synth/equiv.py MODEL N [--tc0c BIN] [--pairs GOLD:GATE,...]
                        [--method sat|abc|both] [--timeout S] [--out DIR]
       synth/equiv.py --gold FILE[:MODULE] --gate FILE[:MODULE]
                        [--method sat|abc|both] [--timeout S] [--out DIR]

Model mode compiles MODEL at N tokens in the styles it needs and proves
each pair GOLD == GATE.  Styles: ref (tc0c compile --emit-ref: the
arithmetic reference RTL), thr, cells (rtl/tc0c_thr.v / tc0c_mthr.v
instances), maj (rtl/tc0c_maj.v instances).  Default pairs: ref:thr and
ref:cells when tc0c has --emit-ref, else thr:cells and thr:maj (the same
circuit written two ways; weaker, but it checks the Verilog writer).
File mode proves two given files equivalent (MODULE defaults to the
file's first module).

Both netlists are read into Yosys with their modules renamed, and a miter
module instantiates them: trigger = valid && (gold.out != gate.out), where
valid says every token code is < |vocab| (codes >= |vocab| are outside the
domain of the reference RTL; with a power-of-two vocabulary valid = 1).
Then (both methods are complete for combinational circuits):
  sat   Yosys: flatten; sat -verify -prove trigger 0 (MiniSAT over the
        whole miter; a counterexample is printed as tokens=BITS)
  abc   Yosys writes the miter as AIGER; yosys-abc proves its output
        constant 0 (read_aiger; strash; iprove)
Prints one line per check:
  equiv NAME: GOLD == GATE [METHOD]: PROVEN | NOT EQUIVALENT (...) | UNKNOWN (...)
and exits 0 when every check is PROVEN, 1 when any is NOT EQUIVALENT or
UNKNOWN (timeout, tool error), 2 on usage errors.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (run_limited, compile_netlist, has_emit_ref)

ROOT = report.ROOT
RTL = report.RTL


def first_module(path):
    m = re.search(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_$]*)", Path(path).read_text(), re.M)
    if not m:
        raise SystemExit(f"equiv.py: no module in {path}")
    return m.group(1)


def port_widths(path):
    """(tokens width, out width) from `input wire [A:0] tokens` / `output wire [B:0] out`"""
    t = Path(path).read_text()
    i = re.search(r"input\s+(?:wire\s+)?\[(\d+):0\]\s*tokens\b", t)
    o = re.search(r"output\s+(?:wire\s+)?\[(\d+):0\]\s*out\b", t)
    if not i or not o:
        raise SystemExit(f"equiv.py: {path}: no `input wire [..:0] tokens` / `output wire [..:0] out` ports")
    return int(i.group(1)) + 1, int(o.group(1)) + 1


def miter_verilog(ni, no, vocab, bits):
    """A miter over the two renamed modules; with vocab < 2^bits only valid
    token codes (< vocab) count, since codes >= vocab are outside the domain."""
    valid = "1'b1"
    if vocab and bits and vocab < (1 << bits) and ni % bits == 0:
        valid = " && ".join(f"(tokens[{i * bits} +: {bits}] < {bits}'d{vocab})" for i in range(ni // bits)) or "1'b1"
    return (f"module tc0c_equiv_miter(input wire [{ni - 1}:0] tokens, output wire trigger);\n"
            f"    wire [{no - 1}:0] a, b;\n"
            f"    tc0c_equiv_gold gold(.tokens(tokens), .out(a));\n"
            f"    tc0c_equiv_gate gate(.tokens(tokens), .out(b));\n"
            f"    wire valid = {valid};\n"
            f"    assign trigger = valid && (a != b);\n"
            f"endmodule\n")


def miter_commands(gold, gold_top, gate, gate_top, miter_file):
    rtl = " ".join(str(r) for r in RTL)
    return (f"read_verilog {rtl}; "
            f"read_verilog {gold}; rename {gold_top} tc0c_equiv_gold; "
            f"read_verilog {gate}; rename {gate_top} tc0c_equiv_gate; "
            f"read_verilog {miter_file}; "
            "hierarchy -check -top tc0c_equiv_miter; proc; flatten; memory; opt -fast")


def prove(gold, gold_top, gate, gate_top, method, work, timeout, mem_gib, vocab=None, bits=None):
    """returns (verdict, detail, seconds): verdict PROVEN | NOT EQUIVALENT | UNKNOWN"""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    wg, wh = port_widths(gold), port_widths(gate)
    if wg != wh:
        return "NOT EQUIVALENT", f"ports differ: tokens/out widths {wg} vs {wh}", 0.0
    (work / "miter.v").write_text(miter_verilog(*wh, vocab, bits))
    base = miter_commands(gold, gold_top, gate, gate_top, work / "miter.v")
    t0 = time.monotonic()
    if method == "sat":
        cmd = ["yosys", "-l", "sat.log", "-p", base + "; sat -verify -prove trigger 0 -show-inputs tc0c_equiv_miter"]
        st, wall, cpu, _ = report.run_limited(cmd, work, timeout, mem_gib, work / "stdout.log")
        text = (work / "sat.log").read_text(errors="replace") if (work / "sat.log").exists() else ""
        if st == "timeout":
            return "UNKNOWN", f"timeout after {timeout} s", wall
        if "SAT proof finished - no model found: SUCCESS!" in text and st == "ok":
            return "PROVEN", f"{cpu} s CPU", wall
        if "SAT proof finished - model found: FAIL!" in text:
            cex = re.findall(r"^\s*\\(tokens)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M)
            detail = "counterexample " + ", ".join(f"{n}={b}" for n, _, _, b in cex) if cex else "counterexample found"
            return "NOT EQUIVALENT", detail, wall
        err = [ln for ln in text.splitlines() if "ERROR" in ln]
        if "bad_alloc" in text + (work / "stdout.log").read_text(errors="replace"):
            err = [f"out of memory (--mem-gib {mem_gib})"]
        return "UNKNOWN", f"yosys: {err[-1] if err else st}", wall
    # abc: write the miter as AIGER, let ABC prove its output constant 0
    cmd = ["yosys", "-q", "-l", "aig.log", "-p",
           base + "; techmap; opt -fast; aigmap; write_aiger -zinit miter.aig"]
    st, wall1, _, _ = report.run_limited(cmd, work, timeout, mem_gib, work / "stdout.log")
    if st != "ok":
        log = "".join((work / f).read_text(errors="replace") for f in ("aig.log", "stdout.log") if (work / f).exists())
        err = [ln for ln in log.splitlines() if "ERROR" in ln]
        if "bad_alloc" in log:
            err = [f"out of memory (--mem-gib {mem_gib})"]
        return "UNKNOWN", f"yosys (AIGER): {st} {err[-1] if err else ''}".strip(), wall1
    left = max(1, timeout - wall1)
    cmd = ["yosys-abc", "-c", "read_aiger miter.aig; strash; iprove"]
    st, wall2, _, _ = report.run_limited(cmd, work, left, mem_gib, work / "abc.log")
    text = (work / "abc.log").read_text(errors="replace")
    wall = wall1 + wall2
    if st == "timeout":
        return "UNKNOWN", f"timeout after {timeout} s", wall
    m = re.search(r"^\s*(UNSATISFIABLE|SATISFIABLE|UNDECIDED)", text, re.M)
    if m and m.group(1) == "UNSATISFIABLE":
        return "PROVEN", "ABC iprove: miter output is constant 0", wall
    if m and m.group(1) == "SATISFIABLE":
        return "NOT EQUIVALENT", "ABC iprove: miter output can be 1", wall
    return "UNKNOWN", "ABC: " + (text.strip().splitlines() or ["no verdict"])[-1], wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?")
    ap.add_argument("n", nargs="?", type=int)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--pairs", default="")
    ap.add_argument("--gold")
    ap.add_argument("--gate")
    ap.add_argument("--method", default="sat", choices=["sat", "abc", "both"])
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--vocab", type=int, help="file mode: vocabulary size (codes >= it are not compared)")
    ap.add_argument("--bits", type=int, help="file mode: bits per token")
    ap.add_argument("--mem-gib", type=float, default=report.DEFAULT_MEM_GIB)
    ap.add_argument("--out", default=str(ROOT / "build" / "equiv"))
    a = ap.parse_args()
    methods = ["sat", "abc"] if a.method == "both" else [a.method]
    out = Path(a.out)
    checks = []  # (name, label, gold file, gold top, gate file, gate top)
    vocab, bits = a.vocab, a.bits
    if a.gold or a.gate:
        if not (a.gold and a.gate) or a.model:
            ap.print_usage(sys.stderr)
            return 2
        files = []
        for spec in (a.gold, a.gate):
            f, _, top = spec.partition(":")
            f = Path(f).resolve()
            if not f.exists():
                print(f"equiv.py: no such file {f}", file=sys.stderr)
                return 2
            files.append((f, top or first_module(f)))
        name = files[1][1]
        checks.append((name, f"{files[0][0].name} == {files[1][0].name}", *files[0], *files[1]))
    else:
        if a.model is None or a.n is None:
            ap.print_usage(sys.stderr)
            return 2
        tc0c = str(Path(a.tc0c).resolve())
        ref = report.has_emit_ref(tc0c)
        pairs = [p.split(":") for p in a.pairs.split(",") if p] or (
            [["ref", "thr"], ["ref", "cells"]] if ref else [["thr", "cells"], ["thr", "maj"]])
        styles = {s for p in pairs for s in p}
        if "ref" in styles and not ref:
            print(f"equiv.py: {tc0c} has no compile --emit-ref; pairs with ref are unavailable", file=sys.stderr)
            return 2
        model = Path(a.model).resolve()
        try:
            vocab = len(json.loads(model.read_text())["vocab"])
        except (OSError, ValueError, KeyError, TypeError):
            vocab = None  # tc0c compile reports a bad model below
        files = {}
        base = out / f"{model.stem}_n{a.n}"
        for s in sorted(styles - {"ref"}):
            try:
                stats, v, r = report.compile_netlist(tc0c, model, a.n, s, base / s, emit_ref=(ref and s == "thr"))
            except RuntimeError as e:
                print(f"equiv {model.stem}_n{a.n}: {s} netlist unavailable: {e}")
                files[s] = None
                continue
            files[s] = (v, first_module(v))
            bits = stats.get("bits_per_token")
            if r is not None:
                files["ref"] = (r, first_module(r))
        if "ref" in styles and "ref" not in files:
            try:
                _, _, r = report.compile_netlist(tc0c, model, a.n, "thr", base / "ref", emit_ref=True)
                files["ref"] = (r, first_module(r)) if r else None
            except RuntimeError as e:
                print(f"equiv: ref netlist unavailable: {e}")
                files["ref"] = None
        name = f"{model.stem}_n{a.n}"
        for g, h in pairs:
            if files.get(g) is None or files.get(h) is None:
                checks.append((name, f"{g} == {h}", None, None, None, None))
            else:
                checks.append((name, f"{g} == {h}", *files[g], *files[h]))
    bad = 0
    for i, (name, label, gf, gt, hf, ht) in enumerate(checks):
        for meth in methods:
            if gf is None:
                print(f"equiv {name}: {label} [{meth}]: UNKNOWN (netlist not produced)")
                bad += 1
                continue
            v, detail, secs = prove(gf, gt, hf, ht, meth, out / "work" / f"{name}_{i}_{meth}", a.timeout, a.mem_gib,
                                     vocab, bits)
            print(f"equiv {name}: {label} [{meth}]: {v} ({detail}; {secs:.1f} s)", flush=True)
            bad += v != "PROVEN"
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
