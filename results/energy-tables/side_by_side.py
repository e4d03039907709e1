#!/usr/bin/env python3
"""Joins lrpsim outputs under two energy tables (standard library only; results/energy-tables/
regen.sh runs it):

    side_by_side.py table A.csv B.csv OUT.md      `lrpsim table --format csv` under each table
    side_by_side.py components A.json B.json OUT.md   `lrpsim run --json` under each table
    side_by_side.py sweep OUT.csv A.csv B.csv     sweep CSVs, one column energy_table added
    side_by_side.py scaling RUNS OUT.csv OUT.md   per-action energy and area of sweep points
                                                  (RUNS: lines "point horowitz.json hwc.json")
"""
import csv
import json
import os
import sys
import tempfile


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".sbs.")
    with os.fdopen(fd, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table(a_path, b_path, out):
    a, b = rows(a_path), rows(b_path)
    ta, tb = a[0]["energy_table"], b[0]["energy_table"]
    key = lambda r: (r["kind"], r["model"], r["task"])
    bmap = {key(r): r for r in b}
    lines = [f"Energy reduction over dense and speedup, bundled suite, default config, under two energy "
             f"tables: `{ta}` (Horowitz ISSCC 2014 and rules) and `{tb}` (hwcomponents models). "
             "Cycles do not depend on the table.", "",
             f"| model | task | pruning | speedup | energy reduction, {ta} | energy reduction, {tb} | ratio |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in a:
        if r["kind"] == "paper":
            continue
        s = bmap[key(r)]
        if r["kind"] == "mean":
            r = {**r, "model": "**mean**", "task": "(geometric for the ratios)"}
        ea, eb = float(r["energy_reduction_dense"]), float(s["energy_reduction_dense"])
        lines.append(f"| {r['model']} | {r['task']} | {float(r['pruning_rate']):.1%} | "
                     f"{float(r['speedup_dense']):.3f}x | {ea:.3f}x | {eb:.3f}x | {eb / ea:.3f} |")
    write_atomic(out, "\n".join(lines) + "\n")


def components(a_path, b_path, out):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    ea, eb = a["energy"], b["energy"]
    lines = [f"Energy and area by component, bundled default trace, design (leopard) and its dense "
             f"baseline, under `{ea['table']}` and `{eb['table']}`.", "",
             f"| component | design uJ, {ea['table']} | design uJ, {eb['table']} | dense uJ, {ea['table']} | "
             f"dense uJ, {eb['table']} | area mm^2, {ea['table']} | area mm^2, {eb['table']} |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    da, db = ea["design"]["breakdown"], eb["design"]["breakdown"]
    na, nb = ea["baselines"]["dense"]["breakdown"], eb["baselines"]["dense"]["breakdown"]
    for c in sorted(da):
        lines.append(f"| {c} | {da[c]['pj'] / 1e6:.3f} | {db[c]['pj'] / 1e6:.3f} | {na[c]['pj'] / 1e6:.3f} | "
                     f"{nb[c]['pj'] / 1e6:.3f} | {da[c]['area_um2'] / 1e6:.4f} | {db[c]['area_um2'] / 1e6:.4f} |")
    tot = lambda e, k: e[k]["total_pj"] / 1e6
    lines.append(f"| **total** | {tot(ea, 'design'):.3f} | {tot(eb, 'design'):.3f} | "
                 f"{ea['baselines']['dense']['total_pj'] / 1e6:.3f} | {eb['baselines']['dense']['total_pj'] / 1e6:.3f} | "
                 f"{ea['design']['area_um2'] / 1e6:.4f} | {eb['design']['area_um2'] / 1e6:.4f} |")
    write_atomic(out, "\n".join(lines) + "\n")


def sweep(out, *paths):
    header, body = None, []
    for p in paths:
        with open(p, newline="") as f:
            rd = csv.reader(f)
            h = next(rd)
            if header is None:
                header = h + ["energy_table"]
            name = json.load(open(p + ".json"))["energy_table"]["name"]
            body += [r + [name] for r in rd]
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    write_atomic(out, buf.getvalue())


# Per-action energies shown by `scaling`: column -> (component, the action count it is divided by).
PER_ACTION = {
    "lane pJ/step": ("lane", "comparator_compare"),
    "comparator pJ/step": ("comparator", "comparator_compare"),
    "k_sram pJ/bit": ("k_sram", ("k_sram_read_bit", "k_sram_write_bit")),
    "mac_array pJ/mac": ("mac_array", "mac_array_mac"),
}


def scaling(runs, out_csv, out_md):
    cols = ["point", "energy_table", "area_mm2", "lane_area_mm2", "k_sram_area_mm2", "energy_uj"] + list(PER_ACTION)
    data = []
    for line in open(runs):
        point, *paths = line.split()
        for p in paths:
            r = json.load(open(p))
            e, acts = r["energy"]["design"], r["design"]["actions"]
            bd = e["breakdown"]
            name = r["energy"]["table"]
            if name.startswith("hwcomponents-"):  # generated per point: name it by its source
                name = "hwcomponents-" + r["energy"]["node"]
            row = [point, name, e["area_um2"] / 1e6, bd["lane"]["area_um2"] / 1e6,
                   bd["k_sram"]["area_um2"] / 1e6, e["total_pj"] / 1e6]
            for comp, count in PER_ACTION.values():
                n = sum(acts[c] for c in count) if isinstance(count, tuple) else acts[count]
                row.append(bd[comp]["pj"] / n)
            data.append(row)
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerows([[f"{v:.6g}" if isinstance(v, float) else v for v in r] for r in data])
    write_atomic(out_csv, buf.getvalue())
    lines = ["Design area and energy per action (leakage included, divided by the action count) on the "
             "bundled default trace, one config key changed from configs/leopard.yaml per point, under the "
             "Horowitz 45 nm table and under a table generated at 45 nm from the hwcomponents models for "
             "that point's config. Energy per lane step: the lane's energy over its steps. The default "
             "trace's keys are 8-bit, so a lane consumes at most 8 planes per step: planes=16 is sized and "
             "priced as 8 planes (the run's planes per step).", "",
             "| " + " | ".join(cols) + " |", "|---|---|" + "---:|" * (len(cols) - 2)]
    for r in data:
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else v for v in r) + " |")
    write_atomic(out_md, "\n".join(lines) + "\n")


if __name__ == "__main__":
    {"table": table, "components": components, "sweep": sweep, "scaling": scaling}[sys.argv[1]](*sys.argv[2:])
