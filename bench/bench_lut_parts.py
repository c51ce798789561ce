#!/usr/bin/env python3
"""Where the LUTs go: the lut4 flow of docs/reports.md on parts of one
model, cut out of the compiled netlist and out of the arithmetic RTL
(`--emit-ref`) alike, side by side.

A part is a set of wires: in the compiled netlist the gates whose origin
(`tc0c compile --dump`: layer, head, operation) matches a regular
expression, in the RTL the wires whose name (compiler/refrtl.c: l<L>_h<H>_q,
_k, _v, _s (scores), _e (exp weights), _z (their sum), _att (the head's
output), l<L>_attn, _hid, _act, _ffn) matches another.  The cut is the cone
of the part's wires that something outside the part reads (or the module
output), stopping at wires outside the part, which become module inputs;
a sum node or a tap wire of ours belongs to the gates that read it.  Both
cuts then run the lut4 flow (cached by netlist text in build/report/cache,
like make tradeoff).  ABC optimizes across a part's boundary when it maps
the whole netlist, so parts do not add up to the whole exactly (about 10%
either way on the two-layer softmax model of bench/bench_softmax_lut.py).

Parts: `--layer L` (the layer's wires; default), `--ops L` (layer L as
three parts: queries/keys/values with the scores, the softmax weights with
the weighted sums and the division, the attention output with the FFN), or
`--part NAME=OURS_RE=RTL_RE` (repeatable).  Prints a row per part: LUT4s
and LUT4 depth of each side, their ratio, Yosys CPU seconds and peak memory
(MiB) of each run, and the compiler's time and peak memory.

usage: python3 bench/bench_lut_parts.py MODEL N [--layer L | --ops L | --part ...]
       [--timeout S] [--mem-gib G] [--tc0c PATH] [-- COMPILE OPTIONS]
       (compile options default: --target lut4 --objective size)
example: python3 bench/bench_softmax_lut.py --ps 8 --ns 3 --d-ff 4 --layers 2
         python3 bench/bench_lut_parts.py build/bench/softmax_lut/softmax_p8_v16_f4_l2.json 3 --ops 1
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "synth"))
import report  # noqa: E402

KEYWORDS = {"wire", "signed", "input", "output", "assign", "begin", "end", "case", "endcase", "function",
            "endfunction", "default", "tokens"}
LITERAL = re.compile(r"\d+'s?[bdhoBDHO][0-9a-fA-F_xzXZ]+")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse(path):
    """functions (text), wires {name: (declaration, expression, names read)}
    in order, and the names the module's assign statements read"""
    text = re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", Path(path).read_text()), flags=re.S)
    body = text.split(");", 1)[1].rsplit("endmodule", 1)[0]
    funcs = re.findall(r"function.*?endfunction", body, re.S)
    fnames = {re.search(r"function\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?(\w+)", f).group(1) for f in funcs}
    body = re.sub(r"function.*?endfunction", "", body, flags=re.S)
    wires, assigned = {}, set()
    for st in (s.strip() for s in body.split(";")):
        names = set(IDENT.findall(LITERAL.sub(" ", st))) - KEYWORDS - fnames
        if st.startswith("assign"):
            assigned |= names
            continue
        m = re.match(r"(wire(?:\s+signed)?(?:\s*\[[^\]]*\])?)\s+(\w+)\s*=(.*)", st, re.S)
        if m:
            decl, name, expr = m.groups()
            wires[name] = (decl, expr, set(IDENT.findall(LITERAL.sub(" ", expr))) - KEYWORDS - fnames - {name})
    return funcs, wires, assigned


def cut(path, inside, out):
    """write the module of the part to out; inside(name) -> True (in the
    part), False (outside) or None (follows its readers: our sum nodes and
    taps); returns (inputs, outputs, wires)"""
    funcs, wires, assigned = parse(path)
    memo = {}

    def reached(n):  # part wires n reads, through wires that follow their readers
        if n not in memo:
            memo[n] = set()
            r = set()
            for d in wires[n][2] if n in wires else ():
                k = inside(d)
                if k:
                    r.add(d)
                elif k is None and d in wires:
                    r |= reached(d)
            memo[n] = r
        return memo[n]

    outputs = set()
    for n in list(wires):
        if inside(n) is False and n != "unused_bits":  # the RTL's lint sink reads everything
            outputs |= reached(n)
    for d in assigned:
        k = inside(d)
        if k:
            outputs.add(d)
        elif k is None and d in wires:
            outputs |= reached(d)
    cone, inputs, stack = set(), set(), list(outputs)
    while stack:
        n = stack.pop()
        if n in cone:
            continue
        cone.add(n)
        for d in wires[n][2]:
            if d not in cone and d not in inputs:
                (inputs.add if d not in wires or inside(d) is False else stack.append)(d)

    def width(n):
        m = re.search(r"\[(\d+):0\]", wires[n][0])
        return int(m.group(1)) + 1 if m else 1

    ports = [f"    input  {wires[n][0]} {n}" if n in wires else f"    input  wire [63:0] {n}" for n in sorted(inputs)]
    outs = sorted(outputs)
    ports.append(f"    output wire [{max(sum(width(n) for n in outs), 1) - 1}:0] out")
    lines = ["`default_nettype none", "module part (", ",\n".join(ports), ");"] + funcs
    lines += [f"    {wires[n][0]} {n} ={wires[n][1]};" for n in wires if n in cone]
    lines += [f"    assign out = {{{', '.join(outs)}}};" if outs else "    assign out = 1'b0;", "endmodule", ""]
    Path(out).write_text("\n".join(lines))
    return len(inputs), len(outs), len(cone)


def origins(dump):
    """gate name -> "L<l> H<h> <op>" from tc0c --dump"""
    o = {}
    for line in dump.splitlines():
        m = re.match(r"g(\d+) = .*\bL(-?\d+) H(-?\d+) (\w+)\s*$", line)
        if m:
            o["g" + m.group(1)] = f"L{m.group(2)} H{m.group(3)} {m.group(4)}"
    return o


def layer_parts(layer):
    return [(f"layer {layer}", rf"^L{layer} ", rf"^l{layer}_")]


def op_parts(layer):
    return [(f"layer {layer} q, k, v, scores", rf"^L{layer} H\d+ (qkv|score)$", rf"^l{layer}_h\d+_(q|k|v|s)_"),
            (f"layer {layer} softmax weights, sums, division", rf"^L{layer} H\d+ (mix|div)$",
             rf"^l{layer}_h\d+_(e|z|zd|z0|att)_"),
            (f"layer {layer} attention output, FFN", rf"^L{layer} H-1 (attn_out|ffn_hidden|ffn_out)$",
             rf"^l{layer}_(attn|hid|act|ffn)_")]


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="compile options after --, default: --target lut4 --objective size")
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--layer", type=int, help="one part: this layer (default 0)")
    g.add_argument("--ops", type=int, metavar="L", help="layer L in three parts (see above)")
    g.add_argument("--part", action="append", metavar="NAME=OURS_RE=RTL_RE",
                   help="a part: regex on our gates' origins, regex on the RTL's wire names")
    ap.add_argument("--timeout", type=int, default=2400, help="CPU seconds per Yosys run")
    ap.add_argument("--mem-gib", type=float, default=report.DEFAULT_MEM_GIB, help="address-space limit per Yosys run, GiB")
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    a = ap.parse_args(argv)
    args = extra or ["--target", "lut4", "--objective", "size"]
    if a.part:
        parts = []
        for p in a.part:
            f = p.split("=")
            if len(f) != 3:
                ap.error(f"--part {p!r}: expected NAME=OURS_RE=RTL_RE")
            for r in f[1:]:
                try:
                    re.compile(r)
                except re.error as e:
                    ap.error(f"--part {p!r}: {r!r}: {e}")
            parts.append(tuple(f))
    else:
        parts = op_parts(a.ops) if a.ops is not None else layer_parts(a.layer or 0)
    model = Path(a.model)
    if not model.exists():
        ap.error(f"{model}: no such file")
    work = ROOT / "build" / "bench" / "lut_parts" / f"{model.stem}_n{a.n}"
    work.mkdir(parents=True, exist_ok=True)
    net = work / "netlist"
    cmd = ["/usr/bin/time", "-f", "%e %M", a.tc0c, "compile", str(model), "-n", str(a.n), "-o", str(net),
           "--emit-ref", "--dump", "--quiet"] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"lut_parts: {' '.join(cmd[3:])}: exit {p.returncode}: {p.stderr.strip()[-400:]}")
    secs, kib = p.stderr.strip().splitlines()[-1].split()
    org = origins(p.stdout)
    ours = next(f for f in net.glob("*.v") if not f.name.endswith("_ref.v"))
    ref = next(net.glob("*_ref.v"))
    print(f"lut_parts: {model} n={a.n} {' '.join(args)}; tc0c {float(secs):.2f} s, {int(kib) / 1024:.0f} MiB peak",
          flush=True)
    print("| part | ours LUT4 | ours depth | RTL LUT4 | RTL depth | LUT4 ratio | ours Yosys CPU s / peak MiB "
          "| RTL Yosys CPU s / peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, ours_re, rtl_re in parts:
        ro, rr = re.compile(ours_re), re.compile(rtl_re)
        res = {}
        for side, src, inside in (
                ("ours", ours, lambda n: bool(ro.search(org.get(n, ""))) if re.match(r"g\d+$", n)
                 else (False if re.match(r"x\d+$", n) else None)),
                ("rtl", ref, lambda n: bool(rr.search(n)))):
            slug = re.sub(r"\W+", "_", name).strip("_")
            vfile = work / f"{side}_{slug}.v"
            ni, no, nw = cut(src, inside, vfile)
            print(f"lut_parts: {name} ({side}): {nw} wires, {ni} inputs, {no} outputs", file=sys.stderr, flush=True)
            if no == 0:
                res[side] = {"status": "empty"}
                continue
            res[side] = report.run_flow("lut4", vfile, "part", work / f"{side}_{slug}", a.timeout,
                                        a.mem_gib, ROOT / "build" / "report" / "cache")
        cells = [(r.get("luts"), r.get("depth")) if r.get("status") == "ok" else (r.get("status"), "-")
                 for r in (res["ours"], res["rtl"])]
        ratio = (f"{cells[0][0] / cells[1][0]:.2f}" if all(isinstance(c[0], int) and c[0] for c in cells) else "-")
        print(f"| {name} | {cells[0][0]} | {cells[0][1]} | {cells[1][0]} | {cells[1][1]} | {ratio} "
              f"| {res['ours'].get('cpu_s', '-')} / {res['ours'].get('peak_mib', '-')} "
              f"| {res['rtl'].get('cpu_s', '-')} / {res['rtl'].get('peak_mib', '-')} |", flush=True)


if __name__ == "__main__":
    main()
