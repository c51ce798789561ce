"""Evaluates a tc0c circuit, as `tc0c stats MODEL -n N --dump` prints it,
on many input strings (numpy, level by level).  An evaluator independent of
tc0c's own (compiler/eval.c): the report uses it to score the compiled
circuit on exactly the strings it scores the float and quantized models on.

Dump format (compiler/ir.c ir_dump): a header "circuit: G gates (I inputs),
O outputs, depth D"; one line per threshold gate
"gK = [w*gA + gB - ... >= T]  level L  ...", or a sum node (an integer
wire, no threshold: its value is the weighted sum itself, read by the
gates of later levels) "gK = (w*gA + ...)  sum in [lo, hi]  level L  ...";
then "outJ = gK".  Gate 0 is
the constant 0, gate 1 the constant 1, gates 2 .. 2+I-1 the inputs; input
i*b + k is bit k (LSB first) of token i's vocabulary index, b = bits per
token (compiler/compile.c).
"""
import re
import subprocess

import numpy as np

HEADER = re.compile(r"^circuit: (\d+) gates \((\d+) inputs\), (\d+) outputs, depth (\d+)$")
GATE = re.compile(r"^g(\d+) = \[(.*) >= (-?\d+)\]\s+level (\d+)\s+group (\d+)\b")
SUM = re.compile(r"^g(\d+) = \((.*)\)\s+sum in \[-?\d+, -?\d+\]\s+level (\d+)\s+group -1\b")
TERM = re.compile(r"([+-])?\s*(?:(\d+)\*)?g(\d+)")
OUT = re.compile(r"^out(\d+) = g(\d+)$")


class DumpError(Exception):
    pass


class Circuit:
    def __init__(self, text):
        self.gates = {}  # id -> (srcs, weights, thr, level)
        self.sums = {}  # sum node id -> (srcs, weights, level)
        self.group_of = {}  # id -> sum group (gates with identical terms)
        self.group_first = {}  # group -> the first gate, whose terms it keeps
        group_body = {}
        self.outputs = {}
        header = None
        for line in text.splitlines():
            if line.startswith("circuit:"):
                m = HEADER.match(line)
                if not m:
                    raise DumpError(f"unreadable header: {line!r}")
                header = tuple(int(x) for x in m.groups())
            elif line.startswith("g") and SUM.match(line):
                m = SUM.match(line)
                gid = int(m.group(1))
                self.sums[gid] = self._terms(gid, m.group(2)) + (int(m.group(3)),)
            elif line.startswith("g"):
                m = GATE.match(line)
                if not m:
                    raise DumpError(f"unreadable gate: {line[:80]!r}")
                gid, body, thr, level = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
                self.group_of[gid] = int(m.group(5))
                grp = self.group_of[gid]
                if grp in self.group_first:  # same terms as a gate already read
                    if body != group_body[grp]:
                        raise DumpError(f"gate g{gid} is in group {grp} but its terms differ from "
                                        f"g{self.group_first[grp]}'s")
                    self.gates[gid] = (None, None, thr, level)
                    continue
                self.group_first[grp] = gid
                group_body[grp] = body
                srcs, ws = self._terms(gid, body)
                self.gates[gid] = (srcs, ws, thr, level)
            elif line.startswith("out"):
                m = OUT.match(line)
                if not m:
                    raise DumpError(f"unreadable output: {line!r}")
                self.outputs[int(m.group(1))] = int(m.group(2))
        if header is None:
            raise DumpError("no 'circuit:' header in the dump")
        self.n_total, self.n_inputs, n_out, self.depth = header
        if len(self.outputs) != n_out or sorted(self.outputs) != list(range(n_out)):
            raise DumpError(f"expected {n_out} outputs, found {len(self.outputs)}")
        first = 2 + self.n_inputs
        if sorted(list(self.gates) + list(self.sums)) != list(range(first, self.n_total)):
            raise DumpError("gate numbering is not contiguous after the inputs")
        for g, (srcs, *_rest) in list(self.gates.items()) + list(self.sums.items()):
            if srcs is not None and any(s >= g for s in srcs):
                raise DumpError(f"gate g{g} reads a younger gate")
        self.n_gates = len(self.gates)  # threshold gates; sum nodes are wires

    @staticmethod
    def _terms(gid, body):
        srcs, ws = [], []
        pos = 0
        for t in TERM.finditer(body):
            if body[pos:t.start()].strip():
                raise DumpError(f"unreadable term in gate g{gid}: {body[pos:t.start()]!r}")
            pos = t.end()
            w = int(t.group(2) or 1)
            srcs.append(int(t.group(3)))
            ws.append(-w if t.group(1) == "-" else w)
        if body[pos:].strip():
            raise DumpError(f"unreadable term in gate g{gid}: {body[pos:]!r}")
        return srcs, ws

    def run(self, inputs):
        """inputs: bool array (n_inputs, B) -> outputs int8 array (n_outputs, B).
        Level by level; each sum group's weighted sum is computed once and
        compared with every threshold of the group (DESIGN.md:
        multi-threshold)."""
        B = inputs.shape[1]
        vals = np.zeros((self.n_total, B), dtype=np.int8)
        vals[1] = 1
        vals[2:2 + self.n_inputs] = inputs
        svals = {}  # sum node -> its integer values (B,)
        by_level, sums_at = {}, {}
        for g, (_, _, _, lv) in self.gates.items():
            by_level.setdefault(lv, []).append(g)
        for g, (_, _, lv) in self.sums.items():
            sums_at.setdefault(lv, []).append(g)

        def split(srcs, ws):  # bit sources (vals) and sum-node sources (svals)
            bits = [(a, w) for a, w in zip(srcs, ws) if a not in self.sums]
            return bits, [(a, w) for a, w in zip(srcs, ws) if a in self.sums]

        def sum_value(terms):
            tot = np.zeros(B, dtype=np.int64)
            for a, w in terms:
                tot += w * (svals[a] if a in self.sums else vals[a].astype(np.int64))
            return tot

        for lv in sorted(set(by_level) | set(sums_at)):
            self._threshold_level(by_level.get(lv, []), vals, svals, split, B)
            for g in sorted(sums_at.get(lv, [])):  # after the gates of their level, in id order
                svals[g] = sum_value(list(zip(*self.sums[g][:2])))
        return np.stack([vals[self.outputs[k]] for k in range(len(self.outputs))])

    def _threshold_level(self, gs, vals, svals, split, B):
        if gs:
            groups = sorted({self.group_of[g] for g in gs})
            sums = {}
            i = 0
            while i < len(groups):  # chunks of about 2^22 term x string products
                chunk, terms = [], 0
                while i < len(groups) and (not chunk or terms * B < (1 << 22)):
                    chunk.append(self.group_first[groups[i]])
                    terms += max(len(self.gates[chunk[-1]][0]), 1)
                    i += 1
                parts = [split(*self.gates[g][:2]) for g in chunk]
                src = np.concatenate([np.array([a for a, _ in b] or [0], dtype=np.int64) for b, _ in parts])
                w = np.concatenate([np.array([x for _, x in b] or [0], dtype=np.int64) for b, _ in parts])
                lens = np.array([max(len(b), 1) for b, _ in parts])
                starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
                part = np.add.reduceat(vals[src].astype(np.int64) * w[:, None], starts, axis=0)
                for k, g in enumerate(chunk):
                    tot = part[k]
                    for a, x in parts[k][1]:  # terms read from sum nodes
                        tot = tot + x * svals[a]
                    sums[self.group_of[g]] = tot
            for g in gs:
                vals[g] = sums[self.group_of[g]] >= self.gates[g][2]


def dump_circuit(tc0c, model, n, max_gates=None):
    cmd = [tc0c, "stats", model, "-n", str(n), "--dump"]
    if max_gates:
        cmd += ["--max-gates", str(max_gates)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise DumpError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return Circuit(r.stdout)


def accept_outputs(circ, vocab, strings):
    """Accept (1) / reject (0) of an OUT_ACCEPT circuit on equal-length strings."""
    bits = (len(vocab) - 1).bit_length()  # compile.c model_token_bits
    idx = {c: i for i, c in enumerate(vocab)}
    n = len(strings[0])
    if circ.n_inputs != n * bits:
        raise DumpError(f"circuit has {circ.n_inputs} inputs, expected {n} tokens x {bits} bits")
    toks = np.array([[idx[c] for c in s] for s in strings], dtype=np.int64)  # (B, n)
    inp = np.zeros((n * bits, len(strings)), dtype=np.int8)
    for i in range(n):
        for k in range(bits):
            inp[i * bits + k] = (toks[:, i] >> k) & 1
    out = circ.run(inp)
    if out.shape[0] != 1:
        raise DumpError(f"expected one output (accept), found {out.shape[0]}")
    return out[0].tolist()
