#!/usr/bin/python3
"""Quantizes a tinytf checkpoint to tc0c's integer format and writes the
tc0c model file.

    /usr/bin/python3 train/quantize.py models/trained/majority.pt -o models/trained/majority.json
    /usr/bin/python3 train/quantize.py models/trained/dyck1.pt -p 8 --weights float -o /tmp/dyck1_p8.json

--weights qat (default) exports the quantization-aware fine-tuned weights
at the scales they were fine-tuned with (exact; -p must be absent or equal
to the checkpoint's).  --weights float, or another -p, runs post-training
quantization: calibration of power-of-two scales on task strings at
precision p.  The checkpoint is checked first: tensor names and shapes
against its config, NaN/Inf values, and the precision (the relative
quantization error of every row of every weight tensor at most --max-err,
the integer limits of the format).  Errors name the tensor and exit with status 2.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import tinytf as T  # noqa: E402


def load_checkpoint(path):
    if not os.path.exists(path):
        raise T.QuantError(f"{path}: no such file")
    try:
        ckpt = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises several kinds
        raise T.QuantError(f"{path}: not a PyTorch checkpoint ({type(e).__name__}: {str(e).splitlines()[0]})")
    return ckpt


def build_quantized(ckpt, where, p=None, use="qat", weight_bits=None, max_err=0.5, log=None):
    """(model, QuantSpec, how) for a checkpoint dict, after every check.
    use "qat": the fine-tuned weights and scales of precision p (the
    checkpoint's main ones when p is None); use "float", or a precision
    the checkpoint has no fine-tuned weights for: post-training
    quantization of the float weights, exactly as train/train.py does it
    (calibration on the same strings, floor-bias correction)."""
    if use not in ("qat", "float"):
        raise T.QuantError(f"--weights must be qat or float, got {use!r}")
    if not isinstance(ckpt, dict):
        T.check_checkpoint(ckpt, where)  # raises: not a checkpoint
    qj, sd_key = None, "float_state_dict" if "float_state_dict" in ckpt else "state_dict"
    if use == "qat":
        variants = ckpt.get("variants") or {}
        if p is not None and str(p) in variants:
            qj, sd_key = variants[str(p)]["quant"], f"variants.{p}.state_dict"
        elif ckpt.get("quant") and (p is None or p == ckpt["quant"]["p"]):
            qj, sd_key = ckpt["quant"], "state_dict"
    if qj and weight_bits is not None and weight_bits != qj.get("weight_bits"):
        qj, sd_key = None, "float_state_dict" if "float_state_dict" in ckpt else "state_dict"
    view = dict(ckpt)
    if sd_key.startswith("variants."):
        view["state_dict"] = ckpt["variants"][str(p)]["state_dict"]
    elif sd_key in ckpt:
        view["state_dict"] = ckpt[sd_key]
    T.check_checkpoint(view, where if sd_key == "state_dict" else f"{where} ({sd_key})")
    cfg = ckpt["config"]
    model = T.TinyTransformer(cfg)
    model.load_tensors(view["state_dict"])
    if qj:
        q = T.QuantSpec.from_json(cfg, qj)
        steps = qj.get("qat_steps")
        if steps == 0:
            how = (f"post-training quantized at p = {q.p} (calibration and floor-bias correction; validation "
                   f"accuracy {100 * qj.get('val_ptq', 0):.2f}% without fine-tuning)")
        else:
            how = f"quantization-aware fine-tuned at p = {q.p}" + (f" ({steps} steps)" if steps else "")
    else:
        if p is None:
            raise T.QuantError(f"{where}: has no fine-tuned scales for --weights {use}; give -p")
        if not 2 <= p <= 16:
            raise T.QuantError(f"-p {p}: tc0c takes p from 2 to 16")
        meta = ckpt.get("meta") or {}
        lengths = meta.get("train_lengths") or T.TASKS[cfg["task"]]["train_lengths"]
        calib = T.dataset(cfg["task"], lengths, 200, seed=3000 + meta.get("seed", 0))
        q = T.calibrate(model, p, calib, weight_bits=weight_bits)
        T.correct_floor_bias(model, q)
        how = (f"post-training quantized at p = {p} (calibrated on {sum(map(len, calib.values()))} strings, "
               f"floor-bias correction)")
    T.check_precision(model, q, max_err, where)
    if log:
        log(f"{where}: {how}")
    return model, q, how


def export_checkpoint(path, out, p=None, use="qat", name=None, max_len=64, weight_bits=None, max_err=0.5,
                      log=None):
    ckpt = load_checkpoint(path)
    model, q, how = build_quantized(ckpt, path, p, use, weight_bits, max_err, log)
    cfg = ckpt["config"]
    task = cfg["task"]
    if not name:  # trained_STEM for STEM.pt, as a tc0c model name allows
        stem = re.sub(r"[^A-Za-z0-9_]", "_", os.path.splitext(os.path.basename(path))[0])
        name = f"trained_{stem}"
    meta = ckpt.get("meta", {})
    cmd = f"/usr/bin/python3 train/quantize.py {path}" + (f" -p {p}" if p else "") + \
        (f" --weights {use}" if use != "qat" else "") + f" -o {out}"
    desc = (f"Trained tinytf model for {task} ({T.TASKS[task]['description']}), {how}. "
            f"Trained by: {meta.get('command', '?')}; exported by: {cmd}. See models/trained/REPORT.md.")
    m = T.export_model(model, q, name, desc, max_len=max_len)
    text = T.model_json_text(m)
    if out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)
        if log:
            log(f"wrote {out}")
    return m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("-p", type=int, help="precision in bits (default: the checkpoint's fine-tuned p)")
    ap.add_argument("--weights", default="qat", help="qat (fine-tuned, default) or float (post-training)")
    ap.add_argument("--weight-bits", type=int, help="bits per weight (default p)")
    ap.add_argument("--max-err", type=float, default=0.5,
                    help="largest relative quantization error of a weight row (default 0.5)")
    ap.add_argument("-o", "--out", default="-", help="output file (default stdout)")
    ap.add_argument("--name", help="model name (default trained_STEM for STEM.pt)")
    ap.add_argument("--max-len", type=int, default=64)
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    try:
        export_checkpoint(a.checkpoint, a.out, a.p, a.weights, a.name, a.max_len, a.weight_bits, a.max_err,
                          log=lambda s: print(s, file=sys.stderr))
    except T.QuantError as e:
        print(f"quantize: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
