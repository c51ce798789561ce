#!/usr/bin/python3
"""Tests of the training-side pipeline (needs python3-torch; `make
train-test`, not part of `make test`):

- the exporter's errors: shapes that do not match the config, missing and
  unexpected tensors, NaN/Inf weights, a precision too small for a tensor's
  range, a file that is not a checkpoint -- each message names the tensor
  and train/quantize.py exits with status 2;
- exactness: the integer mirror of train/tinytf.py (what quantization-
  aware training optimizes) equals tc0c's reference evaluator (`tc0c run`)
  on random strings, for random untrained models with softmax and uniform,
  causal and non-causal heads, pre-LN blocks (integer layer norm,
  max-subtracted softmax), at several precisions, and for every
  checkpoint in models/trained; the circuit of such a model verifies;
- the committed models/trained/*.json are the exports of their checkpoints.

Prints "train-test: N passed, N failed" last; exit status 1 on failure.
usage: /usr/bin/python3 train/test_quantize.py [TC0C_BINARY]
"""
import glob
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch  # noqa: E402

import quantize  # noqa: E402
import tinytf as T  # noqa: E402

TC0C = sys.argv[1] if len(sys.argv) > 1 else "build/tc0c"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def run_quantize(args):
    r = subprocess.run([sys.executable, os.path.join(HERE, "quantize.py")] + args, capture_output=True, text=True)
    return r.returncode, r.stderr


def toy_checkpoint(task="dyck1", arch=None, seed=0, scale=1.0):
    cfg = T.make_config(task, arch)
    m = T.TinyTransformer(cfg, seed=seed)
    sd = {n: t.detach().clone() * scale for n, t in m.named_tensors().items()}
    sd["embed.token"] = (sd["embed.token"] * 0.4).clamp(-0.9, 0.9)  # inside the stream's range
    return {"format": T.CKPT_FORMAT, "config": cfg, "state_dict": sd, "float_state_dict": dict(sd),
            "meta": {"command": "(test)"}}


def expect_error(tmp, ckpt, want, args=("-p", "6", "--weights", "float"), label=None):
    path = os.path.join(tmp, "bad.pt")
    torch.save(ckpt, path)
    rc, err = run_quantize([path, "-o", os.path.join(tmp, "out.json")] + list(args))
    ok = rc == 2 and all(w in err for w in want)
    check(ok, f"{label or want}: exit {rc}, stderr: {err.strip()}")
    return err


def error_tests(tmp):
    base = toy_checkpoint()
    # shapes
    c = toy_checkpoint()
    c["float_state_dict"]["layers.0.attn.heads.1.wv"] = torch.zeros(1, 5, dtype=torch.float64)
    expect_error(tmp, c, ["tensor 'layers.0.attn.heads.1.wv' has shape 1x5", "needs 1x6",
                          "d_head 1 x d_model 6"])
    c = toy_checkpoint()
    del c["float_state_dict"]  # a plain checkpoint: its state_dict is quantized
    c["state_dict"]["layers.1.ffn.w2"] = torch.zeros(6, 3, dtype=torch.float64)
    expect_error(tmp, c, ["tensor 'layers.1.ffn.w2' has shape 6x3", "needs 6x4", "d_model 6 x d_ff 4"],
                 args=("-p", "6"))
    c = toy_checkpoint()
    c["config"]["d_model"] = 8  # checkpoint of another width
    expect_error(tmp, c, ["tensor 'embed.token' has shape 3x6", "needs 3x8"])
    c = toy_checkpoint()
    del c["float_state_dict"]["layers.0.ffn.b1"]
    expect_error(tmp, c, ["tensor 'layers.0.ffn.b1' is missing", "shape 4"])
    c = toy_checkpoint()
    c["float_state_dict"]["layers.2.attn.wo"] = torch.zeros(2, 2)
    expect_error(tmp, c, ["unexpected tensor 'layers.2.attn.wo'"])
    # NaN / Inf
    c = toy_checkpoint()
    c["float_state_dict"]["layers.0.ffn.w1"][2, 3] = float("nan")
    expect_error(tmp, c, ["tensor 'layers.0.ffn.w1' holds 1 NaN value(s)", "[2, 3]"])
    c = toy_checkpoint()
    c["float_state_dict"]["output.w"][1] = float("inf")
    c["float_state_dict"]["output.w"][4] = float("-inf")
    expect_error(tmp, c, ["tensor 'output.w' holds 2 Inf value(s)", "[1]"])
    c = toy_checkpoint()
    c["float_state_dict"]["output.b"] = torch.tensor(float("nan"), dtype=torch.float64)
    expect_error(tmp, c, ["tensor 'output.b' holds 1 NaN"])
    # a precision too small for the range: one large weight next to small ones
    c = toy_checkpoint()
    w = c["float_state_dict"]["layers.0.ffn.w1"]
    w.mul_(0.1)
    w[0, 0] = 3.0
    err = expect_error(tmp, c, ["tensor 'layers.0.ffn.w1'", "is too small for its range", "round to 0",
                                "Use --weight-bits (or -p)"], args=("-p", "4", "--weights", "float"))
    check("spans" in err, f"precision message shows the range: {err}")
    # the same checkpoint passes with more bits (the message's suggestion)
    path = os.path.join(tmp, "bad.pt")
    need = int(err.split("Use --weight-bits (or -p) ")[1].split()[0]) if "Use --weight-bits (or -p) " in err else 16
    rc, err2 = run_quantize([path, "-o", os.path.join(tmp, "ok.json"), "-p", str(need), "--weights", "float"])
    check(rc == 0, f"-p {need} (suggested) still fails: {err2}")
    # embedding values too fine for the stream's precision
    c = toy_checkpoint()
    e = c["float_state_dict"]["embed.token"]
    e.mul_(0.01)
    e[0, 0] = 1.0
    expect_error(tmp, c, ["tensor 'embed.token'", "p = 3 is too small", "Use -p"],
                 args=("-p", "3", "--weights", "float"))
    # p outside tc0c's range
    torch.save(base, path)
    rc, err = run_quantize([path, "-p", "17", "--weights", "float", "-o", os.path.join(tmp, "x.json")])
    check(rc == 2 and "tc0c takes p from 2 to 16" in err, f"-p 17: {rc} {err}")
    # not a checkpoint
    junk = os.path.join(tmp, "junk.pt")
    with open(junk, "w") as f:
        f.write("not a checkpoint\n")
    rc, err = run_quantize([junk, "-o", os.path.join(tmp, "x.json")])
    check(rc == 2 and "not a PyTorch checkpoint" in err, f"junk file: {rc} {err}")
    torch.save({"weights": torch.zeros(3)}, junk)
    rc, err = run_quantize([junk, "-o", os.path.join(tmp, "x.json")])
    check(rc == 2 and "not a tinytf checkpoint" in err, f"foreign checkpoint: {rc} {err}")
    rc, err = run_quantize([os.path.join(tmp, "none.pt")])
    check(rc == 2 and "no such file" in err, f"missing file: {rc} {err}")
    # a sound checkpoint exports, and tc0c accepts the result
    torch.save(base, path)
    out = os.path.join(tmp, "good.json")
    rc, err = run_quantize([path, "-p", "6", "--weights", "float", "-o", out])
    check(rc == 0, f"sound checkpoint fails: {err}")
    r = subprocess.run([TC0C, "check", out], capture_output=True, text=True)
    check(r.returncode == 0, f"tc0c check rejects the export: {r.stderr}")


def strings_for(cfg, n, count, rng):
    return ["".join(rng.choice(cfg["vocab"]) for _ in range(n)) for _ in range(count)]


def tc0c_outputs(path, strings):
    out = []
    for s in strings:
        r = subprocess.run([TC0C, "run", path, s], capture_output=True, text=True)
        out.append(r.stdout.strip() == "accept" if r.returncode == 0 else None)
    return out


def exactness(tmp, model, q, label, lengths=(1, 2, 5, 9, 16), count=40, verify_n=(3, 6)):
    cfg = model.cfg
    path = os.path.join(tmp, "exact.json")
    with open(path, "w") as f:
        f.write(T.model_json_text(T.export_model(model, q, "exact", "")))
    r = subprocess.run([TC0C, "check", path], capture_output=True, text=True)
    check(r.returncode == 0, f"{label}: tc0c check: {r.stderr}")
    rng = random.Random(hash(label) & 0xffff)
    bad = []
    for n in lengths:
        ss = strings_for(cfg, n, count, rng)
        mine = T.predict(model, cfg, ss, q)
        ref = tc0c_outputs(path, ss)
        bad += [s for s, a, b in zip(ss, mine, ref) if a != b]
    check(not bad, f"{label}: integer mirror != tc0c run on {len(bad)} strings, e.g. {bad[:3]}")
    for n in verify_n:
        r = subprocess.run([TC0C, "verify", path, "-n", str(n), "--quiet"], capture_output=True, text=True)
        check(r.returncode == 0, f"{label}: tc0c verify -n {n}: {r.stdout} {r.stderr}")


def exactness_tests(tmp):
    arches = [
        {"d_model": 3, "layers": [{"heads": [{"kind": "softmax", "causal": False, "d_head": 2},
                                             {"kind": "uniform", "causal": True, "d_head": 1}], "d_ff": 3}]},
        {"d_model": 4, "layers": [{"heads": [{"kind": "softmax", "causal": True, "d_head": 1}], "d_ff": 0},
                                  {"heads": [{"kind": "uniform", "causal": False, "d_head": 2}], "d_ff": 2}]},
        None,  # the task's own
        # pre-LN blocks (layer norms before each sublayer and the readout), max-subtracted softmax
        {"d_model": 4, "preln": True, "layers": [
            {"heads": [{"kind": "softmax", "causal": True, "d_head": 2},
                       {"kind": "uniform", "causal": True, "d_head": 1}], "d_ff": 3},
            {"heads": [{"kind": "softmax", "causal": False, "d_head": 1}], "d_ff": 0},
            {"heads": [], "d_ff": 2}]},
    ]
    for i, arch in enumerate(arches):
        for task in ("majority", "dyck1"):
            for p in (3, 5, 8):
                cfg = T.make_config(task, arch)
                model = T.TinyTransformer(cfg, seed=10 * i + p)
                with torch.no_grad():  # nonzero biases too
                    for n in model.names:
                        if n.split(".")[-1].startswith("b") or n == "output.b":
                            model.t(n).add_(0.3 * torch.randn(model.t(n).shape, dtype=torch.float64))
                        if n.endswith(".gamma"):  # gammas of both signs and sizes
                            model.t(n).mul_(torch.randn(model.t(n).shape, dtype=torch.float64))
                calib = T.dataset(task, list(range(1, 9)), 50, seed=1)
                q = T.calibrate(model, p, calib)
                T.correct_floor_bias(model, q)
                exactness(tmp, model, q, f"{task} arch {i} p={p}")


def committed_tests(tmp):
    for pt in sorted(glob.glob("models/trained/*.pt")):
        js = pt[:-3] + ".json"
        out = os.path.join(tmp, "re.json")
        rc, err = run_quantize([pt, "-o", out])
        if not os.path.exists(js):
            check(False, f"{pt} has no {js}")
            continue
        with open(out) as a, open(js) as b:
            fresh, committed = a.read(), b.read()
        # the description names the output path; compare everything else
        strip = lambda t: "\n".join(l for l in t.splitlines() if '"description"' not in l)  # noqa: E731
        check(rc == 0 and strip(fresh) == strip(committed), f"{js} is not the export of {pt}: {err}")
        ckpt = quantize.load_checkpoint(pt)
        model, q, _ = quantize.build_quantized(ckpt, pt)
        exactness(tmp, model, q, pt, lengths=(4, 16, 33, 64), count=50, verify_n=(8,))


def main():
    torch.set_num_threads(2)
    if not os.access(TC0C, os.X_OK):
        print(f"test_quantize: {TC0C} is missing; run make")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        error_tests(tmp)
        exactness_tests(tmp)
        committed_tests(tmp)
    print(f"train-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
