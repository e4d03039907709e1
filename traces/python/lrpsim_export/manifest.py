"""MANIFEST.json and MANIFEST.md of a folder of traces, made from the traces' own meta (model, input
source, lambda, bits, pruning rate, metric dense and pruned, the command that made each), so that the
manifest can never disagree with the files."""

import hashlib
import json
import os
import re


from .tracefile import head_pruning, validate_trace


def _default_name(folder):
    """The trace `lrpsim run` replays by default: the Default constant of embed.go, if present."""
    p = os.path.join(folder, "embed.go")
    if os.path.exists(p):
        m = re.search(r'const Default = "([^"]+)"', open(p, encoding="utf-8").read())
        if m:
            return m.group(1)
    return None


def entry(path):
    with validate_trace(path) as t:
        m = t.meta
        g = m.get("generator", {})
        kept = allowed = 0
        per_layer = []
        for l in range(t.L):
            k_l = a_l = 0
            for b in range(t.B):
                for h in range(t.H):
                    k, a = head_pruning(t, b, l, h)
                    k_l += k
                    a_l += a
            per_layer.append(round(1 - k_l / max(a_l, 1), 4))
            kept += k_l
            allowed += a_l
        q, _, _ = t.head(0, 0, 0)
        n = [t.head(b, 0, 0)[0].shape[0] for b in range(t.B)]
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        e = {
            "file": os.path.basename(path), "bytes": os.path.getsize(path), "sha256": digest,
            "model": m["model"], "task": m["task"], "source": m["source"], "synthetic": m["synthetic"],
            "inputs": t.B, "layers": t.L, "heads": t.H, "tokens_per_input": n,
            "bits": [m["bits_q"], m["bits_k"], m["bits_v"]], "causal": m["causal"],
            "empty_row": m["empty_row"], "threshold_granularity": m["threshold_granularity"],
            "lambda": g.get("lambda"), "pruning_rate": round(1 - kept / max(allowed, 1), 4),
            "pruning_rate_per_layer": per_layer, "eval_pruning_rate": g.get("eval_pruning_rate"),
            "metric": m.get("metric"), "command": g.get("command"),
            "sweep": g.get("sweep"), "max_metric_loss": g.get("max_metric_loss"),
            "seed": g.get("seed"), "weights": m.get("weights") or _weights(g.get("model_info")),
            "training_seconds": g.get("training_seconds"), "training_where": g.get("training_where"),
        }
        if "thresholds" in m:  # only where the trace says (a dense-model trace: "none")
            e["thresholds"] = m["thresholds"]
        return e


def _weights(info):
    """{package, sha256} of a model whose generator.model_info names its weights package."""
    if not info or "weights_sha256" not in info:
        return None
    return {"package": info.get("weights"), "sha256": info["weights_sha256"]}


def write_manifest(folder, files=None):
    """Describe `files` (names in folder; default: every .npz there) in MANIFEST.json and MANIFEST.md."""
    files = sorted(files or (f for f in os.listdir(folder) if f.endswith(".npz")))
    entries = [entry(os.path.join(folder, f)) for f in files]
    default = _default_name(folder)
    doc = {"default": default, "regenerate": "traces/regen.sh", "traces": entries}
    with open(os.path.join(folder, "MANIFEST.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(folder, "MANIFEST.md"), "w") as f:
        f.write(_markdown(doc))
    return doc


def _fmt(x, nd=4):
    return "" if x is None else (f"{x:.{nd}g}" if isinstance(x, float) else str(x))


def _markdown(doc):
    L = ["# Bundled real traces", "",
         "The traces that `traces/regen.sh` makes from trained models with lrpsim_export. This file and",
         "MANIFEST.json are generated from the traces' own meta by that script; do not edit them by hand.", ""]
    if doc["default"]:
        L += [f"`lrpsim run` with no `--trace` replays **{doc['default']}**.", ""]
    L += ["| file | model | inputs x layers x heads | bits q/k/v | lambda | pruning rate (trace) | "
          "metric | dense | quantized | pruned | size |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in doc["traces"]:
        met = e["metric"] or {}
        L.append(f"| {e['file']} | {e['model']}{' (synthetic)' if e['synthetic'] else ''} | "
                 f"{e['inputs']} x {e['layers']} x {e['heads']} | {'/'.join(map(str, e['bits']))} | "
                 f"{'none (dense)' if e.get('thresholds') == 'none' else _fmt(e['lambda'])} | {e['pruning_rate']:.4f} | {met.get('name', '')} | "
                 f"{_fmt(met.get('dense'), 6)} | {_fmt(met.get('quantized'), 6)} | {_fmt(met.get('pruned'), 6)} | "
                 f"{e['bytes'] / 1e6:.2f} MB |")
    L.append("")
    for e in doc["traces"]:
        met = e["metric"] or {}
        L += [f"## {e['file']}", "",
              f"- model: {e['model']}; task: {e['task']}",
              f"- inputs: {e['source']}",
              f"- tokens per input: {e['tokens_per_input']}; causal: {e['causal']}; empty rows: {e['empty_row']}; "
              + ("thresholds: none (a dense-model trace: the original model, thresholds -inf, nothing pruned; "
                 "lrpsim compare replays it for the training-free pruning rules)"
                 if e.get("thresholds") == "none" else f"thresholds per {e['threshold_granularity']}"),
              f"- pruning rate on the trace's inputs: {e['pruning_rate']:.4f}, per layer {e['pruning_rate_per_layer']}"
              + (f"; on the held-out metric inputs: {e['eval_pruning_rate']:.4f}" if e["eval_pruning_rate"] is not None else ""),
              ]
        if e.get("weights"):
            w = e["weights"]
            L.append(f"- weights: {w.get('package')}, model.safetensors sha256 `{w.get('sha256')}`")
        if met.get("by_bits"):
            L.append("- test accuracy by bit width: " + "; ".join(
                f"{b}-bit: quantized {_fmt(v['quantized'], 6)}, pruned {_fmt(v['pruned'], 6)} "
                f"(pruning {v['pruning_rate']:.4f})" for b, v in sorted(met["by_bits"].items(), key=lambda x: int(x[0]))))
        if met:
            L.append(f"- metric ({met.get('name')}, {'higher' if met.get('higher_is_better', True) else 'lower'} is "
                     f"better, {met.get('eval_inputs', '?')} held-out inputs): dense {_fmt(met.get('dense'), 6)}, "
                     f"quantized {_fmt(met.get('quantized'), 6)}, pruned {_fmt(met.get('pruned'), 6)}")
        if e.get("sweep") and len(e["sweep"]) > 1:
            rows = "; ".join(f"lambda {r['lam']}: {met.get('name')} {r['metric']:.6g}, pruning {r['pruning_rate']:.4f}"
                             for r in e["sweep"])
            L.append(f"- lambda sweep (held-out inputs; kept: the highest pruning whose metric loss is at most "
                     f"{e['max_metric_loss']}): {rows}")
        if e["command"]:
            L.append(f"- made by: `{e['command']}`" + (f" (seed {e['seed']})" if e.get("seed") is not None else ""))
        if e.get("training_seconds") is not None:
            t = e["training_seconds"]
            t = ", ".join(f"{k.replace('_', ' ')} {v:.0f} s" for k, v in t.items()) if isinstance(t, dict) else f"{t:.0f} s"
            L.append(f"- training time (thresholds{' and fine-tuning' if isinstance(e['training_seconds'], dict) else ''}): "
                     f"{t}; on {e.get('training_where')}")
        L += [f"- sha256: `{e['sha256']}`", ""]
    L += ["## Regenerating", "",
          "From the repository root, with ci/install-python.sh's packages and ../shared beside the repository:", "",
          "```sh", "traces/regen.sh            # every real trace above, then this manifest (a few minutes per model)",
          "traces/regen.sh --dense    # the dense-model traces NAME-dense.npz (--threshold=-inf, no learning)",
          "traces/regen.sh --check    # what CI runs: regenerate with the kept lambdas and compare", "```", ""]
    return "\n".join(L)
