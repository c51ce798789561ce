"""tinytf: a tiny PyTorch transformer whose operations are tc0c's.

One module holds the whole pipeline's shared parts:

- TASKS: the formal-language tasks (vocabulary, ground truth, data).
- TinyTransformer: embedding (token only, a BOS symbol at position 0, no
  position embedding), layers of attention heads (softmax or uniform,
  optionally causal) and a ReLU feed-forward, both with residuals, and an
  accept/reject readout at the last position; optionally (config "preln")
  a pre-LN block: a layer norm before each sublayer and one before the
  readout, softmax heads with the row maximum subtracted.  forward() runs either the
  float model or, given a QuantSpec, the exact integer model of tc0c
  (compiler/ref.c) in float64 with straight-through gradients, so the same
  code trains, fine-tunes (quantization-aware) and predicts bit-exactly.
- calibrate() / QuantSpec: post-training quantization with power-of-two
  scales; export_model() writes the tc0c model (docs/model-format.md).
- check_checkpoint(): the exporter's input checks (shapes, NaN/Inf,
  precision), each message naming the tensor.

docs/training.md describes the scheme; docs/numerics.md and ref.c define the
integer semantics mirrored here.
"""
import math
import random

import torch
import torch.nn as nn

CKPT_FORMAT = "tc0c-tinytf/1"
MODEL_FORMAT = "tc0c-model/1"
MAX_WEIGHT = 1 << 20
MAX_BIAS = 1 << 40
MAX_EXP = 1 << 20
MAX_SHIFT = 40


class QuantError(Exception):
    """A checkpoint that cannot be exported; the message names the tensor."""


# --------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------

def is_majority(s):
    return s.count("1") > s.count("0")


def is_dyck1(s):
    bal = 0
    for c in s:
        bal += 1 if c == "(" else -1
        if bal < 0:
            return False
    return bal == 0


def random_dyck(n, rng):
    """A uniformly random balanced string of even length n (n/2 pairs):
    a random arrangement of the brackets, rotated into a Dyck word by the
    cycle lemma (uniform over Dyck words of length n)."""
    k = n // 2
    seq = ["("] * (k + 1) + [")"] * k
    rng.shuffle(seq)
    # cycle lemma: exactly one rotation of k+1 '(' and k ')' has all
    # prefix sums positive; drop its first '('.
    bal, low, at = 0, 0, 0
    for i, c in enumerate(seq):
        bal += 1 if c == "(" else -1
        if bal < low:
            low, at = bal, i + 1
    rot = seq[at:] + seq[:at]
    assert rot[0] == "("
    return "".join(rot[1:])


def dyck_hard_negative(n, rng):
    """A string of length n that is not balanced but looks close: a Dyck
    word with one bracket flipped (final balance +-2), or with one '()'
    turned into ')(' at a point where the balance is 0 (final balance 0,
    one prefix at -1)."""
    w = list(random_dyck(n, rng))
    if rng.random() < 0.5:
        i = rng.randrange(n)
        w[i] = "(" if w[i] == ")" else ")"
        return "".join(w)
    bal, zeros = 0, []
    for i, c in enumerate(w):
        if bal == 0:
            zeros.append(i)  # w[i] == '(' opens a top-level pair
        bal += 1 if c == "(" else -1
    i = rng.choice(zeros)
    # the matching ')' of the '(' at i
    bal, j = 0, i
    for j in range(i, n):
        bal += 1 if w[j] == "(" else -1
        if bal == 0:
            break
    w[i], w[j] = ")", "("
    return "".join(w)


def sample_majority(n, rng):
    return "".join(rng.choice("01") for _ in range(n))


def sample_dyck1(n, rng):
    """Training/test mix: 1/2 balanced, 1/3 hard negatives, 1/6 uniform
    random strings (odd n: no balanced string exists, so hard negatives
    are taken from n-1 plus one random bracket)."""
    r = rng.random()
    if n % 2 == 1:
        if r < 0.6:
            s = random_dyck(n - 1, rng) if n > 1 else ""
            i = rng.randrange(n)
            return s[:i] + rng.choice("()") + s[i:]
        return "".join(rng.choice("()") for _ in range(n))
    if r < 0.5:
        return random_dyck(n, rng)
    if r < 0.5 + 1 / 3:
        return dyck_hard_negative(n, rng)
    return "".join(rng.choice("()") for _ in range(n))


TASKS = {
    "majority": {
        "vocab": ["0", "1"], "bos": "^", "label": is_majority, "sample": sample_majority,
        "description": "more 1s than 0s",
        # one non-causal uniform head: the average vote
        "arch": {"d_model": 2, "layers": [{"heads": [{"kind": "uniform", "causal": False, "d_head": 1}],
                                           "d_ff": 0}]},
        "p": 5, "sweep": [3, 4, 5, 6, 8], "train_lengths": list(range(1, 17)),
        "test_sets": {"": "uniformly random strings"},
    },
    "dyck1": {
        "vocab": ["(", ")"], "bos": "^", "label": is_dyck1, "sample": sample_dyck1,
        "description": "balanced parentheses",
        # causal uniform heads give the sign of every prefix balance, the
        # feed-forward flags negative prefixes, a second uniform layer spreads
        # "some prefix was negative" to the last position
        "arch": {"d_model": 6, "layers": [
            {"heads": [{"kind": "uniform", "causal": True, "d_head": 1},
                       {"kind": "uniform", "causal": True, "d_head": 1}], "d_ff": 4},
            {"heads": [{"kind": "uniform", "causal": False, "d_head": 1}], "d_ff": 4}]},
        "p": 6, "sweep": [4, 5, 6, 8], "train_lengths": list(range(1, 17)),
        "test_sets": {"": "1/2 balanced, 1/3 near-miss negatives, 1/6 random"},
    },
}
# dyck1 with a softmax head in the second layer: it selects the positions
# flagged "negative prefix" (a BOS sink when there are none) instead of
# averaging the flags
TASKS["dyck1_softmax"] = dict(
    TASKS["dyck1"], description="balanced parentheses (second layer: softmax attention)", p=5,
    arch={"d_model": 6, "layers": [
        {"heads": [{"kind": "uniform", "causal": True, "d_head": 1},
                   {"kind": "uniform", "causal": True, "d_head": 1}], "d_ff": 4},
        {"heads": [{"kind": "softmax", "causal": False, "d_head": 2}], "d_ff": 4}]})


# dyck1 as a pre-LN transformer (docs/training.md): a layer norm before each
# sublayer and before the readout, the second layer's softmax head indexes its
# exp table by the score minus the row maximum (numerics 4.5, 7)
TASKS["dyck1_preln"] = dict(
    TASKS["dyck1"], description="balanced parentheses (pre-LN blocks, max-subtracted softmax)", p=6,
    sweep=[5, 6, 8],
    # lr 0.02 (the default) stalls at 93.4% validation on seeds 100, 101, 200
    # (the "prefix went negative" flag is never learnt); 0.005 learns it
    train={"seed": 3, "lr": 0.005, "steps": 4000},
    arch={"d_model": 6, "preln": True, "layers": [
        {"heads": [{"kind": "uniform", "causal": True, "d_head": 1},
                   {"kind": "uniform", "causal": True, "d_head": 1}], "d_ff": 4},
        {"heads": [{"kind": "softmax", "causal": False, "d_head": 2}], "d_ff": 4}]})

LN_EPS = 1e-5  # the float layer norm's epsilon


# Saturation ranges of the float model's activations: the residual stream x,
# head values v, queries q, keys k, scores s = q.k and feed-forward hidden
# units h are clamped to [-r, r] (None: not clamped, the calibrated scale
# fits the observed range).  The residual stream has one scale for the
# whole model, so it is clamped: training with the same saturation as the
# integer model makes the float model one that fixed point represents
# faithfully (docs/training.md).  Scores are clamped to keep the exp table
# within p bits of score.
DEFAULT_RANGES = {"x": 1.0, "v": None, "q": None, "k": None, "s": 8.0, "h": None, "ln": None}


def make_config(task, arch=None):
    t = TASKS[task]
    arch = arch or t["arch"]
    for L in arch["layers"]:
        for H in L["heads"]:
            if H["kind"] not in ("softmax", "uniform") or int(H["d_head"]) < 1:
                raise ValueError(f"a head must be softmax or uniform with d_head >= 1, got {H}")
    preln = bool(arch.get("preln", False))
    cfg = {"task": task, "vocab": list(t["vocab"]), "bos": t["bos"], "d_model": arch["d_model"],
            "ranges": dict(DEFAULT_RANGES),
            "layers": [{"heads": [dict({"kind": h["kind"], "causal": bool(h.get("causal", False)),
                                        "d_head": int(h["d_head"])},
                                       **({"subtract_max": bool(h.get("subtract_max", True))}
                                          if preln and h["kind"] == "softmax" else {}))
                                  for h in L.get("heads", [])],
                        "d_ff": int(L.get("d_ff", 0))}
                       for L in arch["layers"]]}
    if preln:
        cfg["preln"] = True
    return cfg


def is_ln(name):
    """A layer norm's gamma or beta (LN.gamma / LN.beta, LN one of
    layers.L.attn.ln, layers.L.ffn.ln, ln_final)."""
    return name.split(".")[-1] in ("gamma", "beta")


def is_bias(name):
    last = name.split(".")[-1]
    return name == "output.b" or (last.startswith("b") and last != "beta")


def ln_names(cfg):
    """The layer norms of a pre-LN config, in order."""
    if not cfg.get("preln"):
        return []
    out = []
    for l, L in enumerate(cfg["layers"]):
        if L["heads"]:
            out.append(f"layers.{l}.attn.ln")
        if L["d_ff"]:
            out.append(f"layers.{l}.ffn.ln")
    return out + ["ln_final"]


def encode(cfg, strings):
    """Equal-length strings -> LongTensor (B, n) of vocabulary indices."""
    idx = {c: i for i, c in enumerate(cfg["vocab"])}
    n = len(strings[0])
    assert all(len(s) == n for s in strings)
    return torch.tensor([[idx[c] for c in s] for s in strings], dtype=torch.long).reshape(len(strings), n)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

def param_shapes(cfg):
    """Every tensor of a model with this config, name -> shape.  The names
    follow the tc0c JSON paths (layers.0.attn.heads.1.wv is
    layers[0].attn.heads[1].wv)."""
    d, V = cfg["d_model"], len(cfg["vocab"]) + 1
    s = {"embed.token": (V, d)}
    for l, L in enumerate(cfg["layers"]):
        width = 0
        for h, H in enumerate(L["heads"]):
            dh, pre = H["d_head"], f"layers.{l}.attn.heads.{h}."
            if H["kind"] == "softmax":
                s[pre + "wq"], s[pre + "bq"] = (dh, d), (dh,)
                s[pre + "wk"], s[pre + "bk"] = (dh, d), (dh,)
            s[pre + "wv"], s[pre + "bv"] = (dh, d), (dh,)
            width += dh
        if L["heads"]:
            s[f"layers.{l}.attn.wo"], s[f"layers.{l}.attn.bo"] = (d, width), (d,)
        if L["d_ff"]:
            f = L["d_ff"]
            s[f"layers.{l}.ffn.w1"], s[f"layers.{l}.ffn.b1"] = (f, d), (f,)
            s[f"layers.{l}.ffn.w2"], s[f"layers.{l}.ffn.b2"] = (d, f), (d,)
    for ln in ln_names(cfg):
        s[ln + ".gamma"], s[ln + ".beta"] = (d,), (d,)
    s["output.w"], s["output.b"] = (d,), ()
    return s


def shape_reason(cfg, name):
    """Why a tensor has its shape, in the config's words."""
    d = cfg["d_model"]
    parts = name.split(".")
    last = parts[-1]
    if name == "embed.token":
        return f"(vocabulary {len(cfg['vocab'])} + BOS) x d_model {d}"
    if name.startswith("output"):
        return f"d_model {d}" if last == "w" else "a scalar"
    if is_ln(name):
        return f"d_model {d}"
    if ".heads." in name:
        dh = cfg["layers"][int(parts[1])]["heads"][int(parts[4])]["d_head"]
        return f"d_head {dh} x d_model {d}" if last.startswith("w") else f"d_head {dh}"
    if last in ("wo", "bo"):
        width = sum(H["d_head"] for H in cfg["layers"][int(parts[1])]["heads"])
        return f"d_model {d} x heads' width {width}" if last == "wo" else f"d_model {d}"
    f = cfg["layers"][int(parts[1])]["d_ff"]
    return {"w1": f"d_ff {f} x d_model {d}", "b1": f"d_ff {f}", "w2": f"d_model {d} x d_ff {f}",
            "b2": f"d_model {d}"}[last]


class TinyTransformer(nn.Module):
    def __init__(self, cfg, seed=0):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(seed)
        self.names = []
        for name, shape in param_shapes(cfg).items():
            fan_in = shape[-1] if len(shape) == 2 else 1
            if name == "embed.token":
                t = torch.randn(shape, generator=g)
            elif name.endswith(".gamma"):
                t = torch.ones(shape)
            elif name.endswith(".beta") or is_bias(name):
                t = torch.zeros(shape)
            else:
                t = torch.randn(shape, generator=g) / math.sqrt(fan_in)
            self.register_parameter(name.replace(".", "__"), nn.Parameter(t.double()))
            self.names.append(name)

    def t(self, name):
        return getattr(self, name.replace(".", "__"))

    def named_tensors(self):
        return {n: self.t(n) for n in self.names}

    def load_tensors(self, sd):
        with torch.no_grad():
            for n in self.names:
                self.t(n).copy_(torch.as_tensor(sd[n], dtype=torch.float64))

    def forward(self, tokens, q=None, record=None):
        """tokens (B, n) -> the output score at the last position (B,):
        > 0 accepts.  q: a QuantSpec for the integer model (scores are then
        integers y = b + w.x, see ref.c section 6; logits() rescales).
        record: a dict that receives per-tensor max |value| (calibration)."""
        return (self._float if q is None else self._quant)(tokens, q, record)

    # ---- the float model ----
    def _float(self, tokens, q, record):
        cfg, B = self.cfg, tokens.shape[0]
        R = cfg.get("ranges", DEFAULT_RANGES)

        def rec(k, v):
            if record is not None:
                record[k] = max(record.get(k, 0.0), float(v.detach().abs().max()))
            return v

        bos = torch.full((B, 1), len(cfg["vocab"]), dtype=torch.long)
        x = rec("x", clamp(self.t("embed.token")[torch.cat([bos, tokens], 1)], R["x"]))  # (B, N, d)
        N = x.shape[1]
        preln = cfg.get("preln", False)

        def ln(name, x):
            mu = x.mean(-1, keepdim=True)
            var = ((x - mu) ** 2).mean(-1, keepdim=True)
            y = self.t(name + ".gamma") * (x - mu) / torch.sqrt(var + LN_EPS) + self.t(name + ".beta")
            return rec(name, y)

        for l, L in enumerate(cfg["layers"]):
            outs = []
            xa = ln(f"layers.{l}.attn.ln", x) if preln and L["heads"] else x
            for h, H in enumerate(L["heads"]):
                pre = f"layers.{l}.attn.heads.{h}."
                v = rec(pre + "v", clamp(xa @ self.t(pre + "wv").T + self.t(pre + "bv"), R["v"]))
                if H["kind"] == "uniform":
                    if H["causal"]:
                        cnt = torch.arange(1, N + 1, dtype=x.dtype).view(1, N, 1)
                        a = v.cumsum(1) / cnt
                    else:
                        a = v.mean(1, keepdim=True).expand(B, N, v.shape[2])
                else:
                    qq = rec(pre + "q", clamp(xa @ self.t(pre + "wq").T + self.t(pre + "bq"), R["q"]))
                    kk = rec(pre + "k", clamp(xa @ self.t(pre + "wk").T + self.t(pre + "bk"), R["k"]))
                    s = rec(pre + "s", clamp(qq @ kk.transpose(1, 2), R["s"]))
                    if H["causal"]:
                        mask = torch.ones(N, N, dtype=torch.bool).triu(1)
                        s = s.masked_fill(mask, float("-inf"))
                    a = torch.softmax(s, -1) @ v
                outs.append(a)
            if outs:
                A = torch.cat(outs, 2)
                x = x + A @ self.t(f"layers.{l}.attn.wo").T + self.t(f"layers.{l}.attn.bo")
                x = rec("x", clamp(x, R["x"]))
            if L["d_ff"]:
                xf = ln(f"layers.{l}.ffn.ln", x) if preln else x
                hpre = xf @ self.t(f"layers.{l}.ffn.w1").T + self.t(f"layers.{l}.ffn.b1")
                hid = rec(f"layers.{l}.ffn.h", torch.relu(clamp(hpre, R["h"])))
                x = x + hid @ self.t(f"layers.{l}.ffn.w2").T + self.t(f"layers.{l}.ffn.b2")
                x = rec("x", clamp(x, R["x"]))
        if preln:
            x = ln("ln_final", x)
        return x[:, -1] @ self.t("output.w") + self.t("output.b")

    # ---- the integer model (ref.c), float64 with straight-through gradients ----
    def _quant(self, tokens, q, record):
        cfg, p, B = self.cfg, q.p, tokens.shape[0]
        lo, hi = -(2 ** (p - 1)), 2 ** (p - 1) - 1
        bos = torch.full((B, 1), len(cfg["vocab"]), dtype=torch.long)
        x = sat(q.wint(self, "embed.token"), lo, hi)[torch.cat([bos, tokens], 1)]  # 2: sat(tok + pos), pos = 0
        N = x.shape[1]
        preln = cfg.get("preln", False)
        for l, L in enumerate(cfg["layers"]):
            outs = []
            xa = q.layer_norm(self, f"layers.{l}.attn.ln", x) if preln and L["heads"] else x
            for h, H in enumerate(L["heads"]):
                pre = f"layers.{l}.attn.heads.{h}."
                v = requant(xa @ q.wint(self, pre + "wv").T + q.bint(self, pre + "bv"), q.shift[pre + "v"], lo, hi)
                if H["kind"] == "uniform":  # 4.2: floor(sum v / count)
                    if H["causal"]:
                        cnt = torch.arange(1, N + 1, dtype=x.dtype).view(1, N, 1)
                        a = ste_floor_div(v.cumsum(1), cnt)
                    else:
                        a = ste_floor_div(v.sum(1, keepdim=True), torch.tensor(float(N))).expand(B, N, v.shape[2])
                else:  # 4.1 + 4.5
                    qq = requant(xa @ q.wint(self, pre + "wq").T + q.bint(self, pre + "bq"), q.shift[pre + "q"], lo, hi)
                    kk = requant(xa @ q.wint(self, pre + "wk").T + q.bint(self, pre + "bk"), q.shift[pre + "k"], lo, hi)
                    s = requant(qq @ kk.transpose(1, 2), q.shift[pre + "s"], lo, hi)
                    mask = torch.ones(N, N, dtype=torch.bool).triu(1) if H["causal"] else None
                    if H.get("subtract_max"):  # 4.5: E[s - m + 2^p - 1], m the row maximum over V(i)
                        sm = s.detach() if mask is None else s.detach().masked_fill(mask, float("-inf"))
                        m = sm.max(-1, keepdim=True).values
                        w = q.exp_weights(pre, (s - m).clamp(max=0.0), diff=True)  # masked j: weight 0 below
                    else:
                        w = q.exp_weights(pre, s)
                    if mask is not None:
                        w = w.masked_fill(mask, 0.0)
                    z = w.sum(-1, keepdim=True)
                    num = w @ v
                    a = ste_floor_div(num, z)
                outs.append(a)
            if outs:
                A = torch.cat(outs, 2)
                acc = A @ q.wint(self, f"layers.{l}.attn.wo").T + q.bint(self, f"layers.{l}.attn.bo")
                x = requant_res(x, acc, q.shift[f"layers.{l}.attn.wo"], lo, hi)
            if L["d_ff"]:
                xf = q.layer_norm(self, f"layers.{l}.ffn.ln", x) if preln else x
                hq = requant(xf @ q.wint(self, f"layers.{l}.ffn.w1").T + q.bint(self, f"layers.{l}.ffn.b1"),
                             q.shift[f"layers.{l}.ffn.w1"], lo, hi)
                acc = torch.relu(hq) @ q.wint(self, f"layers.{l}.ffn.w2").T + q.bint(self, f"layers.{l}.ffn.b2")
                x = requant_res(x, acc, q.shift[f"layers.{l}.ffn.w2"], lo, hi)
        if preln:
            x = q.layer_norm(self, "ln_final", x)
        return x[:, -1] @ q.wint(self, "output.w") + q.bint(self, "output.b")


def clamp(t, r):
    return t if r is None else t.clamp(-r, r)


# ---- exact integer operations with straight-through gradients ----

def ste(f, exact):
    """Forward value exact, gradient of f."""
    return f + (exact - f).detach()


def qround(x):
    """Round half up, the rounding used for every weight and table entry."""
    return torch.floor(x + 0.5)


def sat(x, lo, hi):
    return x.clamp(lo, hi)


def requant(acc, shift, lo, hi):
    """sat_p(floor((acc + 2^(s-1)) / 2^s)) (numerics 1.2, ref.c requant)."""
    d = float(2 ** shift)
    r = float(2 ** (shift - 1)) if shift > 0 else 0.0
    exact = torch.floor((acc.detach() + r) / d).clamp(lo, hi)
    return ste((acc / d).clamp(lo, hi), exact)


def requant_res(x, acc, shift, lo, hi):
    """sat_p(x + floor((acc + 2^(s-1)) / 2^s)) (ref.c requant_res)."""
    d = float(2 ** shift)
    r = float(2 ** (shift - 1)) if shift > 0 else 0.0
    exact = (x.detach() + torch.floor((acc.detach() + r) / d)).clamp(lo, hi)
    return ste((x + acc / d).clamp(lo, hi), exact)


def ste_floor_div(num, z):
    """floor(num / z) for z > 0 and 0 for z = 0 (ref.c 4.2, 4.5).  Exact
    in float64: |num| < 2^53 and z <= 2^40 keep the quotient's floor."""
    zc = torch.as_tensor(z, dtype=num.dtype)
    safe = zc.clamp(min=1.0)
    exact = torch.where(zc > 0, torch.floor(num.detach() / safe.detach()), torch.zeros_like(num))
    return ste(num / safe, exact)


# --------------------------------------------------------------------------
# Quantization: power-of-two scales, integer weights, shifts
# --------------------------------------------------------------------------

class QuantSpec:
    """Scales of one quantized model.  Every tensor t is represented by the
    integer round(t * 2^e[t]); e holds the exponent of each weight tensor
    and of each activation (the residual stream "x", and per head
    PRE+"v"/"q"/"k"/"s", per feed-forward "layers.L.ffn.h").  The shifts
    follow: shift = e(input) + e(weight) - e(output) >= 0."""

    def __init__(self, cfg, p, e, exp_amp=None, weight_bits=None):
        self.cfg, self.p, self.e = cfg, p, dict(e)
        self.weight_bits = weight_bits or p
        self.exp_amp = exp_amp if exp_amp is not None else 2 ** p
        self.shift = {}
        self.tables = {}
        self.eps = {}
        ex = e["x"]
        preln = cfg.get("preln", False)
        d = cfg["d_model"]
        for ln in ln_names(cfg):  # 7.1: gamma at 2^(s + f'), beta at 2^f', eps = round(e d^4 2^(2f))
            self.shift[ln] = e[ln + ".gamma"] - e[ln]
            self.eps[ln] = min(max(1, math.floor(LN_EPS * d ** 4 * 2.0 ** (2 * ex) + 0.5)), 1 << 40)
            if not 0 <= self.shift[ln] <= 20:
                raise QuantError(f"{ln}: the scales give layer-norm shift {self.shift[ln]}, outside tc0c's [0, 20]")
        for l, L in enumerate(cfg["layers"]):
            width_e = []
            ea = e[f"layers.{l}.attn.ln"] if preln and L["heads"] else ex
            for h, H in enumerate(L["heads"]):
                pre = f"layers.{l}.attn.heads.{h}."
                self.shift[pre + "v"] = ea + e[pre + "wv"] - e[pre + "v"]
                if H["kind"] == "softmax":
                    self.shift[pre + "q"] = ea + e[pre + "wq"] - e[pre + "q"]
                    self.shift[pre + "k"] = ea + e[pre + "wk"] - e[pre + "k"]
                    self.shift[pre + "s"] = e[pre + "q"] + e[pre + "k"] - e[pre + "s"]
                    self.tables[pre] = (exp_table_diff if H.get("subtract_max") else exp_table)(
                        p, e[pre + "s"], self.exp_amp)
                width_e.append(e[pre + "v"])
            if L["heads"]:
                if len(set(width_e)) != 1:
                    raise QuantError(f"layers.{l}.attn: heads' value scales differ ({width_e}); one wo needs one")
                self.e[f"layers.{l}.attn.a"] = width_e[0]
                self.shift[f"layers.{l}.attn.wo"] = width_e[0] + e[f"layers.{l}.attn.wo"] - ex
            if L["d_ff"]:
                eh = e[f"layers.{l}.ffn.h"]
                ef = e[f"layers.{l}.ffn.ln"] if preln else ex
                self.shift[f"layers.{l}.ffn.w1"] = ef + e[f"layers.{l}.ffn.w1"] - eh
                self.shift[f"layers.{l}.ffn.w2"] = eh + e[f"layers.{l}.ffn.w2"] - ex
        for k, s in self.shift.items():
            if not 0 <= s <= MAX_SHIFT:
                raise QuantError(f"{k}: the scales give shift {s}, outside tc0c's [0, {MAX_SHIFT}]")

    def input_exp(self, name):
        """Exponent of the activation a weight tensor multiplies."""
        parts = name.split(".")
        if name in ("embed.token",):
            return 0
        if is_ln(name):
            return self.e["x"]
        if self.cfg.get("preln"):
            if name.startswith("output"):
                return self.e["ln_final"]
            if parts[-1] in ("wq", "wk", "wv", "bq", "bk", "bv"):
                return self.e[f"layers.{parts[1]}.attn.ln"]
            if parts[-1] in ("w1", "b1"):
                return self.e[f"layers.{parts[1]}.ffn.ln"]
        if name.startswith("output") or parts[-1] in ("wq", "wk", "wv", "bq", "bk", "bv", "w1", "b1"):
            return self.e["x"]
        if parts[-1] in ("wo", "bo"):
            return self.e[f"layers.{parts[1]}.attn.a"]
        return self.e[f"layers.{parts[1]}.ffn.h"]  # w2, b2

    def weight_exp(self, name):
        """Exponent of a weight or bias tensor (a bias is added to the
        accumulator, at input exponent + weight exponent)."""
        parts = name.split(".")
        if name == "embed.token":
            return self.e["x"]
        if name.endswith(".beta"):
            return self.e[name[:-len(".beta")]]
        if name.endswith(".gamma"):
            return self.e[name]
        if name == "output.b":
            return self.input_exp(name) + self.e["output.w"]
        if parts[-1].startswith("b"):
            return self.input_exp(name) + self.e[".".join(parts[:-1] + ["w" + parts[-1][1:]])]
        return self.e[name]

    def wint(self, model, name):
        t = model.t(name)
        sc = float(2 ** self.weight_exp(name))
        if name == "embed.token":
            lo, hi = -(2 ** (self.p - 1)), 2 ** (self.p - 1) - 1
        elif self.e.get("wide:" + name) or is_ln(name):  # widened so that the shift stays >= 0
            lo, hi = -MAX_WEIGHT, MAX_WEIGHT
        else:
            hi = max(2 ** (self.weight_bits - 1) - 1, 1)
            lo = -hi
        return ste((t * sc).clamp(lo, hi), qround(t.detach() * sc).clamp(lo, hi))

    def bint(self, model, name):
        t = model.t(name)
        sc = float(2 ** self.weight_exp(name))
        if is_ln(name):
            return ste((t * sc).clamp(-MAX_WEIGHT, MAX_WEIGHT), qround(t.detach() * sc).clamp(-MAX_WEIGHT, MAX_WEIGHT))
        return ste(t * sc, qround(t.detach() * sc))

    def exp_weights(self, pre, s, diff=False):
        """The exp table's weights of the scores s (diff: of the differences
        s - m in [-(2^p - 1), 0], numerics 4.5 with subtract_max)."""
        table = torch.tensor(self.tables[pre], dtype=s.dtype)
        if diff:
            exact = table[(s.detach() + (2 ** self.p - 1)).long()]
            f = self.exp_amp * torch.exp(s / float(2 ** self.e[pre + "s"]))
        else:
            lo = -(2 ** (self.p - 1))
            exact = table[(s.detach() - lo).long()]
            f = self.exp_amp * torch.exp((s - (2 ** (self.p - 1) - 1)) / float(2 ** self.e[pre + "s"]))
        return ste(f, exact)

    def ln_params(self, model, name):
        """(gamma, beta, shift, eps) integers of one layer norm (numerics 7.1)."""
        return (self.wint(model, name + ".gamma"), self.bint(model, name + ".beta"), self.shift[name],
                self.eps[name])

    def layer_norm(self, model, name, x):
        """Numerics 7.1 on every position of x (B, N, d) of integers:
        S = sum x, u = d x - S, Q = sum u^2, r = isqrt(d Q + eps),
        y = sat_p(beta + floor(gamma d u / (2^s r))), exact in int64;
        the gradient is that of the real quotient with sqrt(D)."""
        gamma, beta, s, eps = self.ln_params(model, name)
        d = x.shape[-1]
        lo, hi = -(2 ** (self.p - 1)), 2 ** (self.p - 1) - 1
        u = d * x - x.sum(-1, keepdim=True)
        D = d * (u * u).sum(-1, keepdim=True) + eps
        ui, Di = u.detach().round().long(), D.detach().round().long()
        r = isqrt_long(Di)
        num = gamma.detach().round().long() * d * ui
        exact = (beta.detach().round().long() + torch.div(num, (2 ** s) * r, rounding_mode="floor")).clamp(lo, hi)
        f = (beta + gamma * d * u / (float(2 ** s) * torch.sqrt(D))).clamp(lo, hi)
        return ste(f, exact.to(x.dtype))

    def to_json(self):
        return {"p": self.p, "weight_bits": self.weight_bits, "exp_amp": self.exp_amp, "e": self.e}

    @staticmethod
    def from_json(cfg, j):
        e = {k: v for k, v in j["e"].items() if not k.endswith(".attn.a")}
        return QuantSpec(cfg, j["p"], e, j.get("exp_amp"), j.get("weight_bits"))


def exp_table(p, es, amp):
    """exp[s] = round(amp * exp((s - pmax) / 2^es)) for s = pmin..pmax."""
    pmax = 2 ** (p - 1) - 1
    return [math.floor(amp * math.exp((s - pmax) / 2.0 ** es) + 0.5) for s in range(-(2 ** (p - 1)), pmax + 1)]


def exp_table_diff(p, es, amp):
    """subtract_max (numerics 4.5): exp[k] = round(amp * exp((k - (2^p - 1)) / 2^es))
    for k = 0..2^p - 1, the weight of the difference k - (2^p - 1)."""
    top = 2 ** p - 1
    return [math.floor(amp * math.exp((k - top) / 2.0 ** es) + 0.5) for k in range(top + 1)]


def isqrt_long(D):
    """The largest r >= 0 with r * r <= D, elementwise on an int64 tensor."""
    r = torch.sqrt(D.double()).floor().long()
    for _ in range(3):
        r = torch.where(r * r > D, r - 1, r)
        r = torch.where((r + 1) * (r + 1) <= D, r + 1, r)
    return r


def fit_exp(maxabs, limit):
    """The largest e with maxabs * 2^e <= limit (e = 0 for an all-zero tensor)."""
    if maxabs <= 0:
        return 0
    return math.floor(math.log2(limit / maxabs))


def calibrate(model, p, strings_by_len, weight_bits=None, exp_amp=None, margin=1.0):
    """Post-training calibration: runs the float model on the calibration
    strings, takes every activation's max |value| (times margin) and every
    weight tensor's max |value|, and picks the finest power-of-two scales
    that fit p bits (weights: weight_bits, default p).  Where a shift would
    come out negative the output scale is made coarser (or, for the
    residual stream, the weights wider)."""
    cfg = model.cfg
    rec = {}
    with torch.no_grad():
        for n, ss in strings_by_len.items():
            model(encode(cfg, ss), record=rec)
    amax = 2 ** (p - 1)  # the largest value may saturate by less than one step
    wb = weight_bits or p
    wmax = 2 ** (wb - 1)
    R = cfg.get("ranges", DEFAULT_RANGES)
    rec = {k: v * margin if R.get(k.split(".")[-1]) is None else min(v * margin, R[k.split(".")[-1]])
           for k, v in rec.items()}
    e = {}
    e["x"] = fit_exp(rec.get("x", 0.0), amax)
    for name in model.names:
        last = name.split(".")[-1]
        if name != "embed.token" and not last.startswith("b"):
            e[name] = fit_exp(float(model.t(name).detach().abs().max()), wmax)
    if "output.w" not in e:
        e["output.w"] = 0
    ex = e["x"]
    preln = cfg.get("preln", False)
    for ln in ln_names(cfg):  # the output scale fits the range; gamma's 2^(s + f') fits weight_bits, 0 <= s <= 20
        e[ln] = fit_exp(rec.get(ln, 0.0), amax)
        e[ln + ".gamma"] = min(max(e[ln + ".gamma"], e[ln]), e[ln] + 20)
    for l, L in enumerate(cfg["layers"]):
        ev = []
        ea = e[f"layers.{l}.attn.ln"] if preln and L["heads"] else ex
        for h, H in enumerate(L["heads"]):
            pre = f"layers.{l}.attn.heads.{h}."
            e[pre + "v"] = min(fit_exp(rec.get(pre + "v", 0.0), amax), ea + e[pre + "wv"])
            ev.append(e[pre + "v"])
            if H["kind"] == "softmax":
                e[pre + "q"] = min(fit_exp(rec.get(pre + "q", 0.0), amax), ea + e[pre + "wq"])
                e[pre + "k"] = min(fit_exp(rec.get(pre + "k", 0.0), amax), ea + e[pre + "wk"])
                e[pre + "s"] = min(fit_exp(rec.get(pre + "s", 0.0), amax), e[pre + "q"] + e[pre + "k"])
        if L["heads"]:
            common = min(ev)  # one wo reads every head: one value scale
            for h in range(len(L["heads"])):
                e[f"layers.{l}.attn.heads.{h}.v"] = common
            wo = f"layers.{l}.attn.wo"
            if common + e[wo] < ex:
                e[wo] = ex - common
                e["wide:" + wo] = 1
        if L["d_ff"]:
            ef = e[f"layers.{l}.ffn.ln"] if preln else ex
            eh = min(fit_exp(rec.get(f"layers.{l}.ffn.h", 0.0), amax), ef + e[f"layers.{l}.ffn.w1"])
            e[f"layers.{l}.ffn.h"] = eh
            w2 = f"layers.{l}.ffn.w2"
            if eh + e[w2] < ex:
                e[w2] = ex - eh
                e["wide:" + w2] = 1
    return QuantSpec(cfg, p, e, exp_amp, weight_bits)


def correct_floor_bias(model, q):
    """Bias correction for the floors of attention: tc0c's uniform and
    softmax heads return floor(sum / count), on average half a step below
    the float average.  Adding half a step of each head's output, through
    wo, to bo removes that bias (in place; call once, after calibrate)."""
    with torch.no_grad():
        for l, L in enumerate(model.cfg["layers"]):
            if not L["heads"]:
                continue
            half = 0.5 * 2.0 ** -q.e[f"layers.{l}.attn.a"]
            wo = model.t(f"layers.{l}.attn.wo")
            model.t(f"layers.{l}.attn.bo").add_(wo.sum(1) * half)


def snap_to_grid(model, q):
    """Replaces every float weight by its quantized value (int / 2^e), so a
    float checkpoint saved after quantization-aware training exports
    exactly to the integer model that was fine-tuned."""
    with torch.no_grad():
        for name in model.names:
            sc = float(2 ** q.weight_exp(name))
            if name.split(".")[-1].startswith("b") or name == "output.b":  # beta too
                model.t(name).copy_(q.bint(model, name) / sc)
            else:
                model.t(name).copy_(q.wint(model, name) / sc)


# --------------------------------------------------------------------------
# Checks and export
# --------------------------------------------------------------------------

def check_checkpoint(ckpt, where="checkpoint"):
    """Validates a checkpoint dict; raises QuantError naming the tensor."""
    if not isinstance(ckpt, dict) or "config" not in ckpt or "state_dict" not in ckpt:
        raise QuantError(f"{where}: not a tinytf checkpoint (expected a dict with 'config' and 'state_dict', "
                         f"as train/train.py saves)")
    cfg, sd = ckpt["config"], ckpt["state_dict"]
    if cfg.get("task") not in TASKS:
        raise QuantError(f"{where}: config.task {cfg.get('task')!r} is not one of {sorted(TASKS)}")
    for l, L in enumerate(cfg["layers"]):
        for h, H in enumerate(L["heads"]):
            if H["kind"] not in ("softmax", "uniform"):
                raise QuantError(f"{where}: layers.{l}.attn.heads.{h}: kind {H['kind']!r} is not trainable "
                                 f"(softmax or uniform)")
    want = param_shapes(cfg)
    for name in want:
        if name not in sd:
            raise QuantError(f"{where}: tensor '{name}' is missing (the config needs shape "
                             f"{fmt_shape(want[name])}: {shape_reason(cfg, name)})")
    for name in sd:
        if name not in want:
            raise QuantError(f"{where}: unexpected tensor '{name}' (shape {fmt_shape(tuple(sd[name].shape))}); "
                             f"the config has no such tensor")
    for name, shape in want.items():
        got = tuple(torch.as_tensor(sd[name]).shape)
        if got != tuple(shape):
            raise QuantError(f"{where}: tensor '{name}' has shape {fmt_shape(got)}, the config needs "
                             f"{fmt_shape(shape)} ({shape_reason(cfg, name)})")
    for name in want:
        t = torch.as_tensor(sd[name], dtype=torch.float64)
        bad = ~torch.isfinite(t)
        if bad.any():
            first = tuple(int(i) for i in bad.nonzero()[0]) if t.dim() else ()
            kinds = []
            if torch.isnan(t).any():
                kinds.append(f"{int(torch.isnan(t).sum())} NaN")
            if torch.isinf(t).any():
                kinds.append(f"{int(torch.isinf(t).sum())} Inf")
            raise QuantError(f"{where}: tensor '{name}' holds {' and '.join(kinds)} value(s) (first at "
                             f"index {list(first)}); the model diverged in training or the file is corrupt")


def fmt_shape(shape):
    return "x".join(str(s) for s in shape) if shape else "scalar"


def check_precision(model, q, max_err=0.5, where=None):
    """Precision checks of one quantization, naming the tensor: the integer
    limits of the format, and the relative quantization error of every row
    of every weight tensor (one output unit's weights, one token's
    embedding), |Q(w) - w| / |w| in L2, against max_err.  A precision too
    small for a tensor's range rounds its small rows away: those units then
    compute nothing like the float model's."""
    pre = f"{where}: " if where else ""
    for name in model.names:
        t = model.t(name).detach()
        sc = 2.0 ** q.weight_exp(name)
        is_bias = name.split(".")[-1].startswith("b") or name == "output.b"
        ints = qround(t * sc)
        if is_bias:
            if ints.abs().max() > (MAX_WEIGHT if is_ln(name) else MAX_BIAS):
                raise QuantError(pre + f"tensor '{name}': bias {float(t.abs().max()):.4g} at scale "
                                 f"2^-{q.weight_exp(name)} "
                                 f"needs the integer {int(ints.abs().max())}, beyond tc0c's bias limit 2^40")
            continue
        if name != "embed.token" and ints.abs().max() > MAX_WEIGHT:
            raise QuantError(pre + f"tensor '{name}': weights need integers up to {int(ints.abs().max())}, beyond "
                             f"tc0c's weight limit 2^20")
        err, row = row_error(t, (q.wint(model, name) / sc).detach())
        if err > max_err:
            is_emb = name == "embed.token"
            bits = q.p if is_emb else q.weight_bits
            r = t.reshape(-1, t.shape[-1])[row]
            lost = int(((qround(r * sc) == 0) & (r != 0)).sum())
            big = float(t.abs().max())
            small = float(t[t != 0].abs().min())
            scale = (f"the residual stream's step 2^-{q.e['x']}" if is_emb else f"step 2^-{q.weight_exp(name)}")
            what = f"row {row} ({'token ' + repr(token_name(model.cfg, row)) if is_emb else 'one output unit'})" \
                if t.dim() == 2 else "the vector"
            need = bits + 1
            while need < 16 and rel_err_at(t, need, is_emb, q) > max_err:
                need += 1
            raise QuantError(
                pre + f"tensor '{name}': {'p' if is_emb else 'weight bits'} = {bits} is too small for its range: "
                f"|w| spans {small:.3g} .. {big:.3g}; at {scale} {what} keeps a relative error of {err:.2f} > "
                f"{max_err} ({lost} of its {r.numel()} entries round to 0). Use "
                f"{'-p' if is_emb else '--weight-bits (or -p)'} {need} or more, fine-tune at this precision "
                f"(train/train.py -p), or raise --max-err")
    for hp, tab in q.tables.items():
        if max(tab) > MAX_EXP:
            raise QuantError(pre + f"{hp}exp: table entries reach {max(tab)}, beyond tc0c's 2^20")


def token_name(cfg, row):
    return cfg["vocab"][row] if row < len(cfg["vocab"]) else cfg["bos"] + " (BOS)"


def row_error(t, qt):
    """Largest relative L2 error over the rows of t (a vector: one row),
    and that row's index."""
    t2, q2 = t.reshape(-1, t.shape[-1]), qt.reshape(-1, t.shape[-1])
    worst, at = 0.0, 0
    for i in range(t2.shape[0]):
        n = float(t2[i].norm())
        if n > 0:
            e = float((q2[i] - t2[i]).norm()) / n
            if e > worst:
                worst, at = e, i
    return worst, at


def rel_err_at(t, bits, is_embed, q):
    lim = 2 ** (bits - 1) - 1
    if is_embed:
        # the stream's range fixes the scale: 2^(bits-p) finer at more bits
        sc = 2.0 ** (q.e["x"] + bits - q.p)
        qt = qround(t * sc).clamp(-lim - 1, lim) / sc
    else:
        sc = 2.0 ** fit_exp(float(t.abs().max()), lim + 1)
        qt = qround(t * sc).clamp(-lim, lim) / sc
    return row_error(t, qt)[0]


def export_model(model, q, name, description, max_len=64):
    """The tc0c model (docs/model-format.md) of the integer model q."""
    cfg = model.cfg
    with torch.no_grad():
        def W(n):
            return [[int(v) for v in row] for row in q.wint(model, n).tolist()]

        def Bv(n):
            return [int(v) for v in q.bint(model, n).tolist()]

        def LN(n):
            gamma, beta, s, eps = q.ln_params(model, n)
            return {"gamma": [int(v) for v in gamma.tolist()], "beta": [int(v) for v in beta.tolist()],
                    "shift": s, "eps": eps}

        preln = cfg.get("preln", False)
        layers = []
        for l, L in enumerate(cfg["layers"]):
            layer = {}
            if L["heads"]:
                heads = []
                for h, H in enumerate(L["heads"]):
                    pre = f"layers.{l}.attn.heads.{h}."
                    hd = {"kind": H["kind"], "causal": H["causal"], "d_head": H["d_head"]}
                    if H["kind"] == "softmax":
                        hd.update({"wq": W(pre + "wq"), "bq": Bv(pre + "bq"), "q_shift": q.shift[pre + "q"],
                                   "wk": W(pre + "wk"), "bk": Bv(pre + "bk"), "k_shift": q.shift[pre + "k"]})
                    hd.update({"wv": W(pre + "wv"), "bv": Bv(pre + "bv"), "v_shift": q.shift[pre + "v"]})
                    if H["kind"] == "softmax":
                        hd.update({"score_shift": q.shift[pre + "s"], "exp": q.tables[pre]})
                        if H.get("subtract_max"):
                            hd["subtract_max"] = True
                    heads.append(hd)
                layer["attn"] = {"heads": heads, "wo": W(f"layers.{l}.attn.wo"), "bo": Bv(f"layers.{l}.attn.bo"),
                                 "shift": q.shift[f"layers.{l}.attn.wo"], "residual": True}
                if preln:
                    layer["attn"]["ln_pre"] = LN(f"layers.{l}.attn.ln")
            if L["d_ff"]:
                f = f"layers.{l}.ffn."
                layer["ffn"] = {"d_ff": L["d_ff"], "w1": W(f + "w1"), "b1": Bv(f + "b1"),
                                "shift1": q.shift[f + "w1"], "act": "relu", "w2": W(f + "w2"), "b2": Bv(f + "b2"),
                                "shift2": q.shift[f + "w2"], "residual": True}
                if preln:
                    layer["ffn"]["ln_pre"] = LN(f + "ln")
            layers.append(layer)
        # fractional bits (docs/model-format.md): the integer v stands for v / 2^f
        scales = {"stream": q.e["x"]}
        for k, v in sorted(q.e.items()):
            if k != "x" and not k.startswith("wide:") and not k.endswith(".attn.a"):
                scales[k] = v
        m = {
            "format": MODEL_FORMAT, "name": name, "description": description,
            "vocab": list(cfg["vocab"]), "bos": cfg["bos"], "max_len": max_len, "p": q.p,
            "d_model": cfg["d_model"],
            "scales": scales,
            "embed": {"token": W("embed.token")},
            "layers": layers,
            "output": {"kind": "accept", "position": "last", "w": [int(v) for v in q.wint(model, "output.w").tolist()],
                       "b": int(q.bint(model, "output.b"))},
        }
        if preln:
            m["ln_final"] = LN("ln_final")
        return m


def model_json_text(m):
    """JSON with one matrix row per line (as scripts/gen_models.py)."""
    import json
    import re
    text = json.dumps(m, indent=1)
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                  lambda g: "[" + ", ".join(x.strip() for x in g.group(1).split(",")) + "]", text) + "\n"


# --------------------------------------------------------------------------
# Data and accuracy
# --------------------------------------------------------------------------

def dataset(task, lengths, per_len, seed, exclude=()):
    """per_len strings of each length (fewer when the length has fewer
    distinct strings outside exclude), labelled."""
    t, rng = TASKS[task], random.Random(seed)
    out = {}
    ex = set(exclude)
    for n in lengths:
        seen, ss = set(), []
        space = len(t["vocab"]) ** n
        want = min(per_len, space - sum(1 for s in ex if len(s) == n)) if space < 4 * per_len else per_len
        tries = 0
        while len(ss) < want and tries < 50 * per_len:
            tries += 1
            s = t["sample"](n, rng)
            if s in ex or (space < 4 * per_len and s in seen):
                continue
            seen.add(s)
            ss.append(s)
        out[n] = ss
    return out


def predict(model, cfg, strings, q=None, batch=4096):
    """Accept (True) / reject per string."""
    res = []
    with torch.no_grad():
        for i in range(0, len(strings), batch):
            chunk = strings[i:i + batch]
            res += (model(encode(cfg, chunk), q) > 0).tolist()
    return res


def accuracy(task, strings, preds):
    lab = TASKS[task]["label"]
    return sum(int(lab(s) == bool(y)) for s, y in zip(strings, preds)) / max(len(strings), 1)
