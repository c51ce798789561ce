#!/usr/bin/python3
"""Trains a tiny transformer on a formal-language task, quantizes it for
tc0c and writes the checkpoint and the tc0c model.

    /usr/bin/python3 train/train.py majority          # -> models/trained/majority.{pt,json}
    /usr/bin/python3 train/train.py dyck1 -p 6 --seed 3

Three phases (docs/training.md):
 1. float training (Adam, BCE on the accept score) on strings of the
    task's training lengths, restarting from new seeds until the float
    model is 100% right on a validation set (or the tries run out);
 2. post-training quantization: calibration of power-of-two scales at
    precision p (tinytf.calibrate);
 3. quantization-aware fine-tuning: the exact integer model (tc0c's
    reference semantics) in the forward pass, straight-through gradients;
    the weights are finally snapped onto their integer grid, so the
    checkpoint exports exactly to the model that was fine-tuned.

The checkpoint (.pt) holds the config, the float weights, the fine-tuned
weights and the scales; train/quantize.py exports any of them again.
Needs Debian's python3-torch (CPU); run with /usr/bin/python3.
"""
import argparse
import copy
import json
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import tinytf as T  # noqa: E402

TRAIN_PER_LEN = 2000  # training strings per length (all of them for short lengths)
VAL_PER_LEN = 200
VERBOSE = False


class Data:
    """Labelled strings of one task, encoded once: per length a token
    tensor and a label tensor."""

    def __init__(self, cfg, by_len):
        lab = T.TASKS[cfg["task"]]["label"]
        self.by_len = {n: ss for n, ss in by_len.items() if ss}
        self.tok = {n: T.encode(cfg, ss) for n, ss in self.by_len.items()}
        self.y = {n: torch.tensor([float(lab(s)) for s in ss], dtype=torch.float64) for n, ss in self.by_len.items()}

    def batches(self, batch, rng):
        """Endless (tokens, labels) batches, one length per batch, the
        length drawn in proportion to its number of strings."""
        lens = list(self.by_len)
        weights = [len(self.by_len[n]) for n in lens]
        g = torch.Generator().manual_seed(rng.randrange(1 << 30))
        while True:
            n = rng.choices(lens, weights)[0]
            idx = torch.randint(len(self.by_len[n]), (batch,), generator=g)
            yield self.tok[n][idx], self.y[n][idx]


def logits(model, tok, q=None):
    out = model(tok, q)
    if q is not None:  # the integer score b + w.x is at scale 2^-(e_x + e_w)
        out = out / float(2 ** (q.e["x"] + q.e["output.w"]))
    return out


def evaluate(model, data, q=None):
    """(accuracy, mean BCE loss) over every string of data."""
    right = tot = 0
    loss = 0.0
    with torch.no_grad():
        for n in data.by_len:
            out = logits(model, data.tok[n], q)
            y = data.y[n]
            right += int(((out > 0).double() == y).sum())
            loss += float(torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="sum"))
            tot += len(y)
    return right / max(tot, 1), loss / max(tot, 1)


def train_phase(model, data, val, steps, lr, q=None, batch=128, seed=0, wd=1e-3, log=None, tag="float"):
    """AdamW with a cosine learning rate; returns the best validation
    accuracy and the steps run, leaving the best state (by accuracy, then
    loss) in model.  Quantization-aware runs stop at 100% validation."""
    rng = random.Random(seed)
    if q is None:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    else:  # quantization-aware: lr in grid steps of each tensor, no decay
        groups = [{"params": [model.t(n)], "lr": lr * 2.0 ** -q.weight_exp(n)} for n in model.names]
        opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    acc, vl = evaluate(model, val, q)
    best, best_state = (acc, -vl), copy.deepcopy(model.state_dict())
    it = data.batches(batch, rng)
    for step in range(1, steps + 1):
        tok, y = next(it)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits(model, tok, q), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps:
            acc, vl = evaluate(model, val, q)
            if (acc, -vl) > best:
                best, best_state = (acc, -vl), copy.deepcopy(model.state_dict())
            if log and VERBOSE and (step % 500 == 0 or step == steps):
                log(f"  {tag} step {step:5d}: loss {float(loss):.4f}  val acc {acc:.4f}  val loss {vl:.4f}")
            if q is not None and acc == 1.0:  # fine-tuning has nothing left to fix
                break
    model.load_state_dict(best_state)
    return best[0], step


def quantize_variant(float_model, p, calib, data, val, a, log):
    """PTQ (calibration + floor-bias correction), then QAT, at precision p.
    Returns (model snapped to its grid, QuantSpec, PTQ and QAT validation
    accuracies)."""
    model = copy.deepcopy(float_model)
    q = T.calibrate(model, p, calib, weight_bits=a.weight_bits)
    T.correct_floor_bias(model, q)
    ptq_acc = evaluate(model, val, q)[0]
    log(f"p = {p}: post-training quantized, validation accuracy {ptq_acc:.4f}")
    qat_acc, ran = ptq_acc, 0
    if a.qat_steps > 0 and ptq_acc < 1.0:
        qat_acc, ran = train_phase(model, data, val, a.qat_steps, a.qat_lr, q=q, seed=a.seed, log=log,
                                   tag=f"qat p={p}")
        log(f"p = {p}: quantization-aware fine-tuned ({ran} steps), validation accuracy {qat_acc:.4f}")
    T.snap_to_grid(model, q)
    got = evaluate(model, val, q)[0]
    assert got == qat_acc, (got, qat_acc)
    return model, q, ptq_acc, qat_acc, ran


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task", choices=sorted(T.TASKS))
    ap.add_argument("-p", type=int, help="precision in bits of the exported model (default: the task's)")
    ap.add_argument("--sweep", help="more precisions to quantize and fine-tune, e.g. 3,4,5,6,8 (default: the "
                                    "task's; '' for none); kept in the checkpoint for the report")
    ap.add_argument("--weight-bits", type=int, help="bits per weight (default p)")
    ap.add_argument("--seed", type=int, help="data and initialization seed (default: the task's, else 1)")
    ap.add_argument("--tries", type=int, default=4, help="float restarts until 100%% validation accuracy")
    ap.add_argument("--steps", type=int, help="float training steps (default: the task's, else 2000)")
    ap.add_argument("--qat-steps", type=int, default=1500, help="quantization-aware steps (0: PTQ only)")
    ap.add_argument("--lr", type=float, help="float learning rate (default: the task's, else 0.02)")
    ap.add_argument("--qat-lr", type=float, default=0.05, help="QAT learning rate, in grid steps of each tensor")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-max", type=int, help="train on lengths 1..N (default: the task's)")
    ap.add_argument("--arch", help="architecture as JSON (default: the task's), e.g. "
                                   "'{\"d_model\": 4, \"layers\": [{\"heads\": [{\"kind\": \"softmax\", "
                                   "\"causal\": false, \"d_head\": 2}], \"d_ff\": 4}]}'")
    ap.add_argument("-o", "--outdir", default="models/trained")
    ap.add_argument("--name", help="output file stem (default: the task)")
    ap.add_argument("--max-len", type=int, default=64, help="max_len of the tc0c model")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the training loss every 500 steps")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    a = ap.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(a.threads)
    global VERBOSE
    VERBOSE = a.verbose
    log = (lambda *x: None) if a.quiet else (lambda *x: print(*x, flush=True))
    task = T.TASKS[a.task]
    for k, v in dict({"seed": 1, "steps": 2000, "lr": 0.02}, **task.get("train", {})).items():
        if getattr(a, k) is None:  # a task's own training defaults (tinytf.TASKS "train")
            setattr(a, k, v)
    p = a.p or task["p"]
    sweep = task.get("sweep", []) if a.sweep is None else [int(x) for x in a.sweep.split(",") if x.strip()]
    sweep = sorted(set(sweep) | {p})
    try:
        arch = json.loads(a.arch) if a.arch else None
        cfg = T.make_config(a.task, arch)
        T.param_shapes(cfg)
    except (ValueError, KeyError, TypeError) as e:
        ap.error(f"--arch: {e!r}")
    stem = a.name or a.task
    t0, c0 = time.time(), time.process_time()

    lengths = list(range(1, a.train_max + 1)) if a.train_max else task["train_lengths"]
    raw = T.dataset(a.task, lengths, TRAIN_PER_LEN, seed=1000 + a.seed)
    train_set = {s for ss in raw.values() for s in ss}
    data = Data(cfg, raw)
    val = Data(cfg, T.dataset(a.task, lengths, VAL_PER_LEN, seed=2000 + a.seed, exclude=train_set))
    log(f"{a.task}: {len(train_set)} training strings, lengths {lengths[0]}..{lengths[-1]}, "
        f"{sum(map(len, val.by_len.values()))} validation strings")

    # 1. float training, restarts until the validation set is all right
    best_model, best_acc, used_seed = None, -1.0, None
    for k in range(a.tries):
        seed = a.seed * 100 + k
        model = T.TinyTransformer(cfg, seed=seed)
        log(f"float training, seed {seed}")
        acc, _ = train_phase(model, data, val, a.steps, a.lr, seed=seed, log=log)
        log(f"float seed {seed}: validation accuracy {acc:.4f}")
        if acc > best_acc:
            best_model, best_acc, used_seed = model, acc, seed
        if acc == 1.0:
            break
    model = best_model
    t_float, c_float = time.time() - t0, time.process_time() - c0

    # 2.+3. post-training quantization and fine-tuning at each precision
    calib = T.dataset(a.task, lengths, 200, seed=3000 + a.seed)
    variants = {}
    for pv in sweep:
        vm, q, ptq_acc, qat_acc, ran = quantize_variant(model, pv, calib, data, val, a, log)
        qj = dict(q.to_json(), qat_steps=ran, val_ptq=ptq_acc, val_qat=qat_acc)
        variants[str(pv)] = {"state_dict": {n: t.detach().clone() for n, t in vm.named_tensors().items()},
                             "quant": qj, "val_ptq": ptq_acc, "val_qat": qat_acc}
    t_total, c_total = time.time() - t0, time.process_time() - c0

    os.makedirs(a.outdir, exist_ok=True)
    main_v = variants[str(p)]
    ckpt = {
        "format": T.CKPT_FORMAT,
        "config": cfg,
        "state_dict": main_v["state_dict"],
        "quant": main_v["quant"],
        "float_state_dict": {n: t.detach().clone() for n, t in model.named_tensors().items()},
        "variants": variants,
        "meta": {"task": a.task, "seed": a.seed, "float_seed": used_seed, "p": p, "sweep": sweep,
                 "train_lengths": lengths, "train_per_len": TRAIN_PER_LEN, "data_seed": 1000 + a.seed,
                 "val_float": best_acc, "val_ptq": main_v["val_ptq"], "val_qat": main_v["val_qat"],
                 "wall_seconds_float": round(t_float, 1), "wall_seconds_total": round(t_total, 1),
                 "cpu_seconds_float": round(c_float, 1), "cpu_seconds_total": round(c_total, 1),
                 "threads": a.threads, "steps": a.steps, "qat_steps": a.qat_steps,
                 "torch": torch.__version__,
                 "command": " ".join(["/usr/bin/python3", "train/train.py"] + list(argv))},
    }
    pt = os.path.join(a.outdir, stem + ".pt")
    torch.save(ckpt, pt)
    import quantize
    out = os.path.join(a.outdir, stem + ".json")
    quantize.export_checkpoint(pt, out, p=None, use="qat", name=None, max_len=a.max_len, log=log)
    log(f"{a.task}: trained in {t_total:.1f} s wall, {c_total:.1f} s CPU (float phase {t_float:.1f} s wall); "
        f"wrote {pt} and {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
