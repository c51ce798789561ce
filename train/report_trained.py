#!/usr/bin/python3
"""Writes models/trained/REPORT.md: per trained model and input length, the
accuracy of the float model, of the quantized model (tc0c's reference
evaluator, `tc0c run`) and of the compiled circuit, on the same strings.

    /usr/bin/python3 train/report_trained.py            # all models/trained/*.pt
    /usr/bin/python3 train/report_trained.py models/trained/dyck1.pt -o /tmp/r.md

For every string checked it also requires, and reports, that
- the circuit (compiled by `tc0c stats -n N --dump`, evaluated by
  train/circuit_eval.py) gives exactly the reference's output,
- the exact integer mirror in train/tinytf.py gives exactly the
  reference's output (the mirror is what training fine-tuned),
- models/trained/NAME.json is the export of NAME.pt,
and runs `tc0c verify` (all strings where there are at most 2^20, else
random ones).  Any disagreement is printed and the exit status is 1.
Needs python3-torch and python3-numpy, and build/tc0c (make).
"""
import argparse
import concurrent.futures
import copy
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import circuit_eval  # noqa: E402
import quantize  # noqa: E402
import tinytf as T  # noqa: E402

LENGTHS = [8, 16, 32, 64]
SAMPLE = 2000       # held-out strings per length
EXHAUSTIVE = 4096   # all strings when there are at most this many
SPOT = 200          # tc0c run spot check per sweep variant and length


def tc0c_run(tc0c, model, strings, workers=4):
    """Accept (True) / reject per string, one `tc0c run` each."""
    def one(s):
        r = subprocess.run([tc0c, "run", model, s], capture_output=True, text=True)
        out = r.stdout.strip()
        if r.returncode != 0 or out not in ("accept", "reject"):
            raise RuntimeError(f"tc0c run {model} {s!r}: exit {r.returncode}: {r.stderr.strip()}")
        return out == "accept"
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, strings))


def tc0c_verify(tc0c, model, n, random_count=20000):
    r = subprocess.run([tc0c, "verify", model, "-n", str(n), "--quiet", "--random", str(random_count)],
                       capture_output=True, text=True)
    m = re.search(r"circuit = reference on (\d+) (\(all\)|random) strings \((\d+) gates, depth (\d+)\)", r.stdout)
    if r.returncode != 0 or not m:
        return {"ok": False, "text": (r.stdout + r.stderr).strip()[:300]}
    return {"ok": True, "checked": int(m.group(1)), "all": m.group(2) == "(all)", "gates": int(m.group(3)),
            "depth": int(m.group(4))}


def test_sets(task, meta, max_len):
    """n -> (strings, description): all strings for small n, else a
    held-out sample (no training string) from the task's distribution."""
    t = T.TASKS[task]
    train = T.dataset(task, meta["train_lengths"], meta["train_per_len"], seed=meta["data_seed"])
    train_set = {s for ss in train.values() for s in ss}
    sets = {}
    for n in LENGTHS:
        if n > max_len:
            continue
        V = len(t["vocab"])
        if V ** n <= EXHAUSTIVE:
            strings = ["".join(t["vocab"][(k // V ** i) % V] for i in range(n)) for k in range(V ** n)]
            seen = sum(1 for s in strings if s in train_set)
            sets[n] = (strings, f"all {V ** n}" + (f" ({seen} seen in training)" if seen else ""))
        else:
            ss = T.dataset(task, [n], SAMPLE, seed=5000 + n, exclude=train_set)[n]
            held = "held-out " if n <= max(meta["train_lengths"]) else ""
            sets[n] = (ss, f"{len(ss)} {held}sampled")
    return sets


def pct(x):
    return f"{100 * x:.2f}%"


def acc_of(task, strings, preds):
    return T.accuracy(task, strings, preds)


def report_model(pt, tc0c, log):
    ckpt = quantize.load_checkpoint(pt)
    T.check_checkpoint(ckpt, pt)
    cfg, meta = ckpt["config"], ckpt["meta"]
    task = cfg["task"]
    stem = os.path.splitext(pt)[0]
    model_json = stem + ".json"
    problems = []
    # the committed model is the export of the checkpoint
    qmodel, q, how = quantize.build_quantized(ckpt, pt)
    with open(model_json) as f:
        on_disk = json.load(f)
    fresh = T.export_model(qmodel, q, on_disk["name"], on_disk["description"], max_len=on_disk["max_len"])
    if fresh != on_disk:
        problems.append(f"{model_json} is not the export of {pt} (run train/quantize.py {pt} -o {model_json})")
    fmodel = T.TinyTransformer(cfg)
    fmodel.load_tensors(ckpt["float_state_dict"])
    sets = test_sets(task, meta, on_disk["max_len"])
    rows = []
    for n, (strings, desc) in sets.items():
        t0 = time.time()
        fl = T.predict(fmodel, cfg, strings)
        mirror = T.predict(qmodel, cfg, strings, q)
        ref = tc0c_run(tc0c, model_json, strings)
        circ = circuit_eval.dump_circuit(tc0c, model_json, n)
        cout = [bool(v) for v in circuit_eval.accept_outputs(circ, cfg["vocab"], strings)]
        ver = tc0c_verify(tc0c, model_json, n)
        same_c = sum(a == b for a, b in zip(cout, ref))
        same_m = sum(a == b for a, b in zip(mirror, ref))
        if same_c != len(strings):
            problems.append(f"{model_json} n={n}: circuit differs from the reference on "
                            f"{len(strings) - same_c} strings")
        if same_m != len(strings):
            problems.append(f"{model_json} n={n}: the integer mirror differs from tc0c run on "
                            f"{len(strings) - same_m} strings")
        if not ver["ok"]:
            problems.append(f"{model_json} n={n}: tc0c verify failed: {ver['text']}")
        pos = sum(T.TASKS[task]["label"](s) for s in strings)
        rows.append({"n": n, "desc": desc, "count": len(strings), "positives": pos,
                     "float": acc_of(task, strings, fl), "quant": acc_of(task, strings, ref),
                     "circuit": acc_of(task, strings, cout), "same_c": same_c, "same_m": same_m,
                     "verify": ver, "gates": circ.n_gates, "depth": circ.depth})
        log(f"  {task} n={n}: float {pct(rows[-1]['float'])}, quantized {pct(rows[-1]['quant'])}, circuit "
            f"{pct(rows[-1]['circuit'])} ({len(strings)} strings, {circ.n_gates} gates, depth {circ.depth}, "
            f"{time.time() - t0:.1f} s)")
    sweep = sweep_rows(ckpt, fmodel, sets, tc0c, problems, log)
    return {"pt": pt, "json": model_json, "cfg": cfg, "meta": meta, "model": on_disk, "how": how, "rows": rows,
            "sweep": sweep, "problems": problems}


def sweep_rows(ckpt, fmodel, sets, tc0c, problems, log):
    """Per precision of the checkpoint: PTQ (recomputed from the float
    weights exactly as train.py did) and QAT accuracies by the integer
    mirror, spot-checked against tc0c run; gates and depth at n = 16."""
    cfg, meta = ckpt["config"], ckpt["meta"]
    task = cfg["task"]
    calib = T.dataset(task, meta["train_lengths"], 200, seed=3000 + meta["seed"])
    out = []
    for pv, var in sorted(ckpt.get("variants", {}).items(), key=lambda kv: int(kv[0])):
        pv = int(pv)
        ptq = copy.deepcopy(fmodel)
        qp = T.calibrate(ptq, pv, calib, weight_bits=var["quant"].get("weight_bits"))
        T.correct_floor_bias(ptq, qp)
        qat = T.TinyTransformer(cfg)
        qat.load_tensors(var["state_dict"])
        qq = T.QuantSpec.from_json(cfg, var["quant"])
        row = {"p": pv, "acc": {}, "gates": None, "depth": None, "steps": var["quant"].get("qat_steps", "?")}
        with tempfile.TemporaryDirectory() as tmp:
            paths = {}
            for kind, mdl, spec in (("ptq", ptq, qp), ("qat", qat, qq)):
                paths[kind] = os.path.join(tmp, f"{kind}.json")
                with open(paths[kind], "w") as f:
                    f.write(T.model_json_text(T.export_model(mdl, spec, f"sweep_{kind}", "")))
            for n, (strings, _) in sets.items():
                for kind, mdl, spec in (("ptq", ptq, qp), ("qat", qat, qq)):
                    pred = T.predict(mdl, cfg, strings, spec)
                    row["acc"][(kind, n)] = T.accuracy(task, strings, pred)
                    spot = strings[:SPOT]
                    if tc0c_run(tc0c, paths[kind], spot) != pred[:SPOT]:
                        problems.append(f"p={pv} {kind} n={n}: the integer mirror differs from tc0c run")
            r = subprocess.run([tc0c, "stats", paths["qat"], "-n", "16"], capture_output=True, text=True)
            m = re.search(r"(\d+) gates, depth (\d+)", r.stdout)
            if m:
                row["gates"], row["depth"] = int(m.group(1)), int(m.group(2))
        log(f"  {task} p={pv}: " + ", ".join(f"{k} n={n} {pct(v)}" for (k, n), v in row["acc"].items()))
        out.append(row)
    return out


def arch_text(cfg):
    parts = []
    for l, L in enumerate(cfg["layers"]):
        hs = ", ".join(f"{'causal ' if H['causal'] else ''}{H['kind']}"
                       f"{' max-subtracted' if H.get('subtract_max') else ''} (d_head {H['d_head']})"
                       for H in L["heads"])
        parts.append(f"layer {l}: {hs or 'no attention'}" + (f"; ReLU FFN d_ff {L['d_ff']}" if L["d_ff"] else ""))
    pre = "pre-LN blocks (layer norm before each sublayer and before the readout); " if cfg.get("preln") else ""
    return f"d_model {cfg['d_model']}; " + pre + "; ".join(parts)


def markdown(results, argv):
    L = []
    L.append("# Trained models: float, quantized and circuit accuracy\n")
    L.append("Generated by `/usr/bin/python3 train/report_trained.py` (run by `make train`) on "
             f"{datetime.date.today().isoformat()}; do not edit by hand. docs/training.md explains the pipeline.\n")
    L.append("- **float**: the trained PyTorch model (float64).")
    L.append("- **quantized**: the exported tc0c model, evaluated by tc0c's reference evaluator "
             "(`build/tc0c run MODEL STRING`, one call per string).")
    L.append("- **circuit**: the threshold circuit `tc0c` compiles for inputs of exactly n tokens, evaluated on "
             "the same strings (`tc0c stats -n N --dump`, train/circuit_eval.py).  "
             "**circuit = quantized** counts strings where the two outputs are identical.")
    L.append("- **tc0c verify**: `tc0c verify MODEL -n N --random 20000` (all strings when there are at most 2^20, "
             "else 20000 random ones).")
    L.append("- Strings: \"all\" = every string of length n (short lengths; these include training strings); "
             "\"held-out\" = sampled from the task's distribution, none of them a training string; longer lengths "
             "than trained on are unseen by construction.\n")
    L.append("## Summary\n")
    L.append("| model | file | p | trained on n | float @ train max | quantized @ train max | quantized @ longest "
             "| circuit = quantized | train time (CPU, 2 threads) |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        tmax = max(r["meta"]["train_lengths"])
        at = {row["n"]: row for row in r["rows"]}
        tr = at.get(tmax) or r["rows"][0]
        lg = r["rows"][-1]
        same = sum(row["same_c"] for row in r["rows"])
        tot = sum(row["count"] for row in r["rows"])
        L.append(f"| {r['cfg']['task']} | `{r['json']}` | {r['model']['p']} | 1..{tmax} | {pct(tr['float'])} "
                 f"(n={tr['n']}) | {pct(tr['quant'])} | {pct(lg['quant'])} (n={lg['n']}) | {same}/{tot} | "
                 f"{r['meta']['cpu_seconds_total']:.0f} s |")
    L.append("")
    for r in results:
        cfg, meta, m = r["cfg"], r["meta"], r["model"]
        task = cfg["task"]
        L.append(f"## {task}: {T.TASKS[task]['description']}\n")
        L.append(f"- Model file: `{r['json']}` (name `{m['name']}`), checkpoint `{r['pt']}`.")
        L.append(f"- Architecture: {arch_text(cfg)}; BOS symbol `{cfg['bos']}`, no position embedding, "
                 "accept/reject read at the last position.")
        L.append(f"- Training: lengths {meta['train_lengths'][0]}..{max(meta['train_lengths'])}, "
                 f"{meta['train_per_len']} strings per length at most ({T.TASKS[task]['test_sets']['']}), "
                 f"{meta['steps']} float steps (seed {meta['float_seed']}), then per precision at most "
                 f"{meta['qat_steps']} quantization-aware steps; {meta['cpu_seconds_total']:.0f} s CPU / "
                 f"{meta['wall_seconds_total']:.0f} s "
                 f"wall on {meta['threads']} threads (float phase {meta['cpu_seconds_float']:.0f} s CPU), "
                 f"torch {meta.get('torch', '?')}.")
        L.append(f"- Quantization: {r['how']}; every weight a {r['model']['p']}-bit integer with a power-of-two "
                 "scale per tensor (`scales` in the model file).")
        cmd = meta["command"].replace("scripts/train.py", "train/train.py")  # older checkpoints: the script moved
        L.append(f"- Regenerate: `{cmd}` (trains and exports), or from the checkpoint alone "
                 f"`/usr/bin/python3 train/quantize.py {r['pt']} -o {r['json']}`.\n")
        L.append("| n | strings | accepted | float | quantized | circuit | circuit = quantized | tc0c verify "
                 "| gates | depth |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for row in r["rows"]:
            v = row["verify"]
            vt = (f"ok, {'all' if v['all'] else 'random'} {v['checked']}" if v["ok"] else "**FAILED**")
            L.append(f"| {row['n']} | {row['desc']} | {row['positives']} | {pct(row['float'])} | {pct(row['quant'])} "
                     f"| {pct(row['circuit'])} | {row['same_c']}/{row['count']} | {vt} | {row['gates']} "
                     f"| {row['depth']} |")
        if r["sweep"]:
            ns = [row["n"] for row in r["rows"]]
            L.append("")
            L.append(f"Precision sweep (same float model; PTQ = calibration + floor-bias correction, QAT = PTQ then "
                     f"quantization-aware steps until 100% validation accuracy, at most {meta['qat_steps']} "
                     f"(0: PTQ was 100% already); accuracies of the exact integer model on the "
                     f"strings above, checked against `tc0c run` on the first {SPOT} strings of each set; gates "
                     f"and depth at n = 16):\n")
            L.append("| p | QAT steps | " + " | ".join(f"PTQ n={n} | QAT n={n}" for n in ns) + " | gates | depth |")
            L.append("|---|---|" + "---|---|" * len(ns) + "---|---|")
            for s in r["sweep"]:
                mark = " (exported)" if s["p"] == m["p"] else ""
                accs = " | ".join(f"{pct(s['acc'][('ptq', n)])} | {pct(s['acc'][('qat', n)])}" for n in ns)
                L.append(f"| {s['p']}{mark} | {s['steps']} | {accs} | {s['gates']} | {s['depth']} |")
        if r["problems"]:
            L.append("\n**Problems:**\n")
            L += [f"- {p}" for p in r["problems"]]
        L.append("")
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="*")
    ap.add_argument("--tc0c", default="build/tc0c")
    ap.add_argument("-o", "--out", default="models/trained/REPORT.md")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    pts = a.checkpoints or sorted(glob.glob("models/trained/*.pt"))
    if not pts:
        print("report_trained: no checkpoints (models/trained/*.pt); run make train", file=sys.stderr)
        return 1
    if not os.access(a.tc0c, os.X_OK):
        print(f"report_trained: {a.tc0c} is missing; run make", file=sys.stderr)
        return 1
    results = []
    for pt in pts:
        print(f"{pt}:", flush=True)
        results.append(report_model(pt, a.tc0c, lambda s: print(s, flush=True)))
    text = markdown(results, argv)
    with open(a.out, "w") as f:
        f.write(text + "\n")
    print(f"wrote {a.out}")
    problems = [p for r in results for p in r["problems"]]
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
