#!/usr/bin/env python3
"""Write an lrpsim energy table (energy/README.md, "Table format") for one lrpsim configuration
at one technology node, from the component models of the hwcomponents packages: CACTI for the
SRAMs (hwcomponents-cacti), Aladdin's adder, multiplier, comparator, register and counter for the
arithmetic and the registers (hwcomponents-library), and the package's DRAM presets.

Every entry's source names the models, their parameters and what each contributed; where the
library has no model of a unit (the exp unit, the divider, AND gates, floating point), the source
says which composition of library parts stands in for it and why.

Usage (from the repository root, in the venv of ci/install-energy.sh):

    energy/gen/.venv/bin/python energy/gen/gen_table.py --config configs/leopard.yaml \
        --node 28nm --out my-28nm.yaml

The configuration is resolved by lrpsim itself (`lrpsim config show`), so a config file names only
what it changes, as for `lrpsim run`. Runs are deterministic: numbers are written with 6
significant digits.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import subprocess
import sys
import tempfile

import yaml
from hwcomponents_cacti import SRAM, DDR3, HBM2, LPDDR, LPDDR4
from hwcomponents_library import (AladdinAdder, AladdinComparator, AladdinCounter,
                                  AladdinMultiplier, AladdinRegister)

# Nodes we generate for, in metres. CACTI has technology files for 22, 32, 45, 65 and 90 nm
# (the package interpolates between them); Aladdin's numbers are for 40 nm, scaled by the
# package's tech_node_* functions.
NODES = {"22nm": 22e-9, "28nm": 28e-9, "32nm": 32e-9, "45nm": 45e-9, "65nm": 65e-9, "90nm": 90e-9}

# DRAM presets of hwcomponents-cacti (class, the citation in the package's source).
DRAM_PRESETS = {
    "LPDDR4": (LPDDR4, "public data (Wikipedia, LPDDR)"),
    "LPDDR": (LPDDR, "Malladi et al., ISCA 2012"),
    "DDR3": (DDR3, "Chatterjee et al., MICRO 2017"),
    "HBM2": (HBM2, "industry reports cited in the package (HBM2)"),
}

# Elements per lane: the nominal d = 64 of the tables (energy/README.md, R3); the configuration
# does not name the lane's width in elements.
LANE_ELEMENTS = 64
# Survivor FIFO entry width in bits, as in sim/energy.go (fifoEntryBits).
FIFO_ENTRY_BITS = 64
# The back end's probability operand and accumulators (fixed point here, see mac_array).
PROB_BITS, ACC_BITS = 16, 32
# Control counters per unit and their width (R3 of the 45 nm table).
COUNTERS, COUNTER_BITS = 4, 16
# SRAM capacities at which CACTI is run, bytes: 4 KiB to 4 MiB (the curve interpolates between).
SRAM_POINTS = [2 ** k for k in range(12, 23)]
# Idle fraction of the clock term of a unit (assumption, as in the 45 nm table).
IDLE_FRACTION = 0.1
# Share of a flip-flop write that only clocking costs: 8 of its 24 transistors (R2).
CLOCK_SHARE = 8 / 24


class GenError(Exception):
    """A bad input: names the file, the field and what was expected."""


def sig(v: float) -> float:
    """Round to 6 significant digits so that the written table does not depend on float noise."""
    if v == 0:
        return 0.0
    return float(f"{v:.6g}")


def pj(cost) -> float:
    """Energy of an hwcomponents ActionCost in pJ."""
    return cost.energy * 1e12


def um2(model) -> float:
    """Area of a model in um^2."""
    return model.area * 1e12


def mw(model) -> float:
    """Leakage of a model in mW."""
    return model.leak_power * 1e3


def fmt(v: float) -> str:
    return f"{v:.4g}"


class Parts:
    """Library models at one node, built once per width, with a text naming each."""

    def __init__(self, node_m: float):
        self.node = node_m
        self.nm = f"{node_m * 1e9:g}e-9"

    def adder(self, width: int):
        return AladdinAdder(tech_node=self.node, width=width), f"AladdinAdder(tech_node={self.nm}, width={width})"

    def mult(self, wa: int, wb: int):
        m = AladdinMultiplier(tech_node=self.node, width_a=wa, width_b=wb)
        return m, f"AladdinMultiplier(tech_node={self.nm}, width_a={wa}, width_b={wb})"

    def comparator(self, width: int):
        return AladdinComparator(tech_node=self.node, width=width), f"AladdinComparator(tech_node={self.nm}, width={width})"

    def register(self, width: int):
        return AladdinRegister(tech_node=self.node, width=width), f"AladdinRegister(tech_node={self.nm}, width={width})"

    def counter(self, width: int):
        return AladdinCounter(tech_node=self.node, width=width), f"AladdinCounter(tech_node={self.nm}, width={width})"


def resolve_config(lrpsim: list[str], path: str) -> dict:
    """The effective configuration (the file over configs/leopard.yaml), as lrpsim resolves it."""
    try:
        out = subprocess.run(lrpsim + ["config", "show", path], check=True, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise GenError(f"--lrpsim: cannot run {lrpsim[0]}: {e}") from e
    except subprocess.CalledProcessError as e:
        raise GenError(f"{path}: lrpsim config show failed: {e.stderr.strip()}") from e
    cfg = yaml.safe_load(out.stdout)
    for key in ("units", "front_end", "back_end", "memory", "operands"):
        if key not in cfg:
            raise GenError(f"{path}: {key}: expected in the output of lrpsim config show")
    return cfg


def entry(source: str, actions: dict, leakage_mw: float | dict | None, area: float | dict | None,
          leak_source: str, area_source: str) -> dict:
    e = {"source": source, "actions": actions}
    if leakage_mw is not None:
        q = leakage_mw if isinstance(leakage_mw, dict) else {"value": sig(leakage_mw)}
        e["leakage"] = {**q, "unit": "mW", "source": leak_source}
    if area is not None:
        q = area if isinstance(area, dict) else {"value": sig(area)}
        e["area_um2"] = {**q, "source": area_source}
    return e


def lane_entries(p: Parts, cfg: dict) -> dict:
    """The lane and the comparator (energy/README.md, R6 for the attributes)."""
    bq, bk = cfg["operands"]["bits_q"], cfg["operands"]["bits_k"]
    d = LANE_ELEMENTS
    w = bq + bk + int(math.log2(d))
    # AND2: no gate model in the library; priced as 6/28 of one full-adder bit (a 1-bit slice of
    # the Aladdin adder, which is linear in width), the transistor ratio of rule R2.
    fa, fa_txt = p.adder(1)
    e_and, a_and, l_and = pj(fa.add()) * 6 / 28, um2(fa) * 6 / 28, mw(fa) * 6 / 28
    tree, tree_txt = p.adder(bq + 1)
    acc, acc_txt = p.adder(w)
    reg, reg_txt = p.register(w)
    bit_product = bq * e_and + pj(tree.add())
    accumulate = pj(acc.add()) + pj(reg.write())

    def lane_area(planes: int) -> float:
        # planes AND arrays and adder trees, planes-1 adders combining the plane sums, one
        # accumulator adder and its register.
        return (planes * (d * bq * a_and + (d - 1) * um2(tree)) + (planes - 1) * um2(acc)
                + um2(acc) + um2(reg))

    def lane_leak(planes: int) -> float:
        return planes * (d * bq * l_and + (d - 1) * mw(tree)) + planes * mw(acc) + mw(reg)

    planes = list(range(1, bk + 1))
    lane = entry(
        f"Bit-serial lane for operands.bits_q = {bq}, bits_k = {bk}, {d} elements, partial sum "
        f"W = {w} bits: per plane consumed in a step, {d} x {bq} AND2 and a {d}-input tree of "
        f"{bq + 1}-bit adders; planes-1 W-bit adders combine the plane sums; one W-bit "
        "accumulator adder and register. AND2 is composed from the Aladdin adder (the library "
        "has no gate model): 6/28 of a 1-bit slice, the transistor ratio of a 2-input AND to a "
        "mirror full adder.",
        {
            "bit_product": {"value": sig(bit_product), "source":
                            f"{bq} AND2 at 6/28 x {fa_txt}.add() = {fmt(e_and)} pJ each, plus one tree "
                            f"adder per element, {tree_txt}.add() = {fmt(pj(tree.add()))} pJ"},
            "accumulate": {"value": sig(accumulate), "source":
                           f"{acc_txt}.add() = {fmt(pj(acc.add()))} pJ + {reg_txt}.write() = "
                           f"{fmt(pj(reg.write()))} pJ, once per plane consumed"},
        },
        {"curve": {"of": ["planes_per_step"], "points": [[k, sig(lane_leak(k))] for k in planes]}},
        {"curve": {"of": ["planes_per_step"], "points": [[k, sig(lane_area(k))] for k in planes]}},
        f"Sum of the parts' leak_power at planes_per_step = 1..{bk}: AND2 6/28 of {fa_txt}, "
        f"{tree_txt}, {acc_txt} per plane, {reg_txt}.",
        f"Sum of the parts' areas at planes_per_step = 1..{bk} (exact at each point): "
        f"{d * bq} AND2 at {fmt(a_and)} um^2 and {d - 1} x {tree_txt} at {fmt(um2(tree))} um^2 per "
        f"plane, {acc_txt} at {fmt(um2(acc))} um^2 per plane, {reg_txt} at {fmt(um2(reg))} um^2.")
    add, add_txt = p.adder(w)
    cmp_, cmp_txt = p.comparator(w)
    comparator = entry(
        f"Early-termination check P_t + (2^t - 1) Q+ < T on W = {w} bits, once per lane step.",
        {"compare": {"value": sig(pj(add.add()) + pj(cmp_.compare())), "source":
                     f"{add_txt}.add() = {fmt(pj(add.add()))} pJ (P_t plus the bound term) + "
                     f"{cmp_txt}.compare() = {fmt(pj(cmp_.compare()))} pJ"}},
        mw(add) + mw(cmp_), um2(add) + um2(cmp_),
        f"leak_power of {add_txt} + {cmp_txt}", f"area of {add_txt} + {cmp_txt}")
    return {"lane": lane, "comparator": comparator}


def sram_entry(node_m: float, what: str, width: int) -> dict:
    """One SRAM priced by CACTI over capacities, per bit of a width-bit access."""
    reads, writes, leaks, areas = [], [], [], []
    for size in SRAM_POINTS:
        s = SRAM(tech_node=node_m, width=width, size=size * 8)
        reads.append([size, sig(pj(s.read()) / width)])
        writes.append([size, sig(pj(s.write()) / width)])
        leaks.append([size, sig(mw(s))])
        areas.append([size, sig(um2(s))])
    call = (f"hwcomponents_cacti.SRAM(tech_node={node_m * 1e9:g}e-9, width={width}, size=8*size_bytes) "
            f"at size_bytes = {SRAM_POINTS[0]}..{SRAM_POINTS[-1]} (powers of two)")
    return entry(
        f"{what}; CACTI through {call}; one port, one bank.",
        {"read_bit": {"curve": {"of": ["size_bytes"], "points": reads},
                      "source": f"{call}: read() energy / {width} bits"},
         "write_bit": {"curve": {"of": ["size_bytes"], "points": writes},
                       "source": f"{call}: write() energy / {width} bits"}},
        {"curve": {"of": ["size_bytes"], "points": leaks}},
        {"curve": {"of": ["size_bytes"], "points": areas}},
        f"{call}: leak_power", f"{call}: area")


def memory_entries(node_m: float, cfg: dict, dram: str) -> dict:
    ops = cfg["operands"]
    d = LANE_ELEMENTS
    out = {
        "q_sram": sram_entry(node_m, f"Query buffer, accessed a q row at a time ({d} x bits_q = {d * ops['bits_q']} bits)",
                             d * ops["bits_q"]),
        "k_sram": sram_entry(node_m, f"Key buffer, bit-plane-major, accessed one plane of a key at a time ({d} bits)", d),
        "v_sram": sram_entry(node_m, f"Value buffer, accessed a V row at a time ({d} x bits_v = {d * ops['bits_v']} bits)",
                             d * ops["bits_v"]),
    }
    cls, cite = DRAM_PRESETS[dram]
    m = cls()
    per_byte = pj(m.read()) / m.width * 8
    out["dram"] = entry(
        f"Off-chip DRAM, hwcomponents_cacti preset {dram} ({cite}); no area or leakage on chip.",
        {"read_byte": {"value": sig(per_byte), "source":
                       f"hwcomponents_cacti.{dram}(width={m.width}).read() = {fmt(pj(m.read()))} pJ per "
                       f"{m.width} bits, {fmt(per_byte / 8)} pJ/bit x 8"}},
        None, None, "", "")
    return out


def fifo_entry(p: Parts) -> dict:
    bit, bit_txt = p.register(1)
    return entry(
        "Survivor FIFO as registers (depth x width_bits flip-flops): Aladdin's register, linear in "
        "width, priced per bit; the read multiplexer is not priced (no library model of it).",
        {"push": {"value": sig(pj(bit.write())), "times": ["width_bits"],
                  "source": f"{bit_txt}.write() = {fmt(pj(bit.write()))} pJ per bit x width_bits"},
         "pop": {"value": sig(pj(bit.read())), "times": ["width_bits"],
                 "source": f"{bit_txt}.read() = {fmt(pj(bit.read()))} pJ per bit x width_bits"}},
        {"value": sig(mw(bit)), "times": ["depth", "width_bits"]},
        {"value": sig(um2(bit)), "times": ["depth", "width_bits"]},
        f"{bit_txt}: leak_power per bit x depth x width_bits (Aladdin gives 0)",
        f"{bit_txt}: area per bit x depth x width_bits")


def backend_entries(p: Parts, cfg: dict) -> dict:
    bv = cfg["operands"]["bits_v"]
    m16, m16_txt = p.mult(16, 16)
    a16, a16_txt = p.adder(16)
    a8, a8_txt = p.adder(8)
    a32, a32_txt = p.adder(ACC_BITS)
    m32, m32_txt = p.mult(32, 32)
    r32, r32_txt = p.register(ACC_BITS)
    mac_m, mac_m_txt = p.mult(PROB_BITS, bv)
    # The library has no floating-point units and no exp or divide: each is composed from Aladdin
    # integer parts of the widths a fixed-point implementation needs (16-bit numerators, 32-bit
    # accumulation), the same operation counts as the 45 nm table's FP compositions.
    exp_e = 4 * pj(m16.multiply()) + 3 * pj(a16.add()) + pj(a8.add()) + pj(a32.add())
    exp_a = 4 * um2(m16) + 3 * um2(a16) + um2(a8) + um2(a32)
    exp_l = 4 * mw(m16) + 3 * mw(a16) + mw(a8) + mw(a32)
    exp_parts = (f"4 x {m16_txt} (the scale constant, then a Horner cubic for 2^fraction), "
                 f"3 x {a16_txt} (Horner), {a8_txt} (exponent), {a32_txt} (into the row sum)")
    mac_e = pj(mac_m.multiply()) + pj(a32.add()) + pj(r32.write())
    div_e = 5 * pj(m32.multiply()) + 2 * pj(a32.add())
    return {
        "exp_unit": entry(
            "Softmax numerator of one survivor. Composition (the library has no exp unit and no "
            "floating point): fixed-point 2^x by range reduction and a cubic, " + exp_parts + ".",
            {"exp": {"value": sig(exp_e), "source": f"energy of {exp_parts}"}},
            exp_l, exp_a, f"leak_power of {exp_parts}", f"area of {exp_parts}"),
        "mac_array": entry(
            f"One multiplier-accumulator: a {PROB_BITS}-bit fixed-point probability times a "
            f"{bv}-bit V element into a {ACC_BITS}-bit accumulator (composition: the library's "
            "integer MAC has one width for both inputs).",
            {"mac": {"value": sig(mac_e), "source":
                     f"{mac_m_txt}.multiply() = {fmt(pj(mac_m.multiply()))} pJ + {a32_txt}.add() = "
                     f"{fmt(pj(a32.add()))} pJ + {r32_txt}.write() = {fmt(pj(r32.write()))} pJ"}},
            mw(mac_m) + mw(a32), um2(mac_m) + um2(a32),
            f"leak_power of {mac_m_txt} + {a32_txt}",
            f"area of {mac_m_txt} + {a32_txt} (the accumulators are in be_unit)"),
        "normalizer": entry(
            "Division of an accumulated output by the row sum. Composition (no divider in the "
            "library): Newton-Raphson reciprocal, two iterations of 2 mults + 1 add and a final "
            f"mult, on {m32_txt} and {a32_txt}; seed table not priced.",
            {"divide": {"value": sig(div_e), "source":
                        f"5 x {m32_txt}.multiply() = {fmt(pj(m32.multiply()))} pJ + 2 x {a32_txt}.add()"}},
            mw(m32) + mw(a32) + 3 * mw(r32), um2(m32) + um2(a32) + 3 * um2(r32),
            f"leak_power of {m32_txt} + {a32_txt} + 3 x {r32_txt}",
            f"area of {m32_txt} + {a32_txt} + 3 x {r32_txt}, used iteratively"),
    }


def unit_entries(p: Parts, cfg: dict) -> dict:
    bq, bk = cfg["operands"]["bits_q"], cfg["operands"]["bits_k"]
    d = LANE_ELEMENTS
    w = bq + bk + int(math.log2(d))
    bit, bit_txt = p.register(1)
    cnt, cnt_txt = p.counter(COUNTER_BITS)
    out = {}
    for name, bits, what in (
            ("fe_unit", d * bq + (bq + int(math.log2(d))) + w + COUNTERS * COUNTER_BITS,
             f"q register ({d} x {bq}), Q+, threshold ({w}) and {COUNTERS} {COUNTER_BITS}-bit counters"),
            ("be_unit", d * ACC_BITS + ACC_BITS + COUNTERS * COUNTER_BITS,
             f"{d} {ACC_BITS}-bit accumulators, the row sum and {COUNTERS} {COUNTER_BITS}-bit counters")):
        clock = bits * pj(bit.write()) * CLOCK_SHARE
        busy = clock + COUNTERS * pj(cnt.count())
        out[name] = entry(
            f"Control and clock of a unit: {bits} flip-flops ({what}). Composition: clocking a "
            f"flip-flop priced as {CLOCK_SHARE:.3g} of {bit_txt}.write() (8 of its 24 transistors "
            "are clock-driven; the library has no clock-tree model).",
            {"busy_cycle": {"value": sig(busy), "source":
                            f"{bits} x {fmt(CLOCK_SHARE)} x {bit_txt}.write() = {fmt(clock)} pJ + {COUNTERS} x "
                            f"{cnt_txt}.count() = {fmt(COUNTERS * pj(cnt.count()))} pJ"},
             "idle_cycle": {"value": sig(IDLE_FRACTION * clock), "source":
                            f"assumption: clock-gated, {IDLE_FRACTION:g} of the busy clock term remains"}},
            COUNTERS * mw(cnt) + bits * mw(bit), COUNTERS * um2(cnt) + bits * um2(bit),
            f"leak_power of {COUNTERS} x {cnt_txt} + {bits} x {bit_txt}",
            f"area of {COUNTERS} x {cnt_txt} + {bits} x {bit_txt}")
    return out


def versions() -> dict:
    return {pkg: importlib.metadata.version(pkg) for pkg in
            ("hwcomponents", "hwcomponents-cacti", "hwcomponents-library", "hwcomponents-neurosim")}


def generate(cfg: dict, config_path: str, node: str, dram: str) -> tuple[dict, str]:
    p = Parts(NODES[node])
    comps = {}
    comps.update(lane_entries(p, cfg))
    comps.update(memory_entries(NODES[node], cfg, dram))
    comps["fifo"] = fifo_entry(p)
    comps.update(backend_entries(p, cfg))
    comps.update(unit_entries(p, cfg))
    v = versions()
    name = f"hwcomponents-{cfg.get('name', 'config')}-{node}"
    ops = cfg["operands"]
    table = {
        "name": name,
        "node": node,
        "source": (f"Generated by energy/gen/gen_table.py from {config_path} (operands.bits_q "
                   f"{ops['bits_q']}, bits_k {ops['bits_k']}, bits_v {ops['bits_v']}) at {node}: "
                   f"CACTI (hwcomponents-cacti {v['hwcomponents-cacti']}) for the SRAMs, Aladdin "
                   f"(hwcomponents-library {v['hwcomponents-library']}) for arithmetic and "
                   f"registers, the {dram} preset for DRAM; hwcomponents {v['hwcomponents']}."),
        "components": dict(sorted(comps.items())),
    }
    header = (
        f"# lrpsim energy table generated by energy/gen/gen_table.py; do not edit.\n"
        f"#   config: {config_path} (resolved by lrpsim config show); node: {node}; dram: {dram}\n"
        f"#   packages: " + ", ".join(f"{k}=={v[k]}" for k in sorted(v)) + "\n"
        f"# The lane's widths are those of the config: regenerate for other operand widths.\n")
    return table, header


def write_atomic(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".gen_table.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def manifest(nodes: list[str]) -> str:
    """The manifest of the generated tables: package versions, the toolchain that built CACTI and
    the DRAM presets' energy per bit with their citations (for the memory-system model)."""
    gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()
    presets = {}
    for name, (cls, cite) in sorted(DRAM_PRESETS.items()):
        m = cls()
        presets[name] = {"pj_per_bit": sig(pj(m.read()) / m.width), "bus_bits": m.width,
                         "model": f"hwcomponents_cacti.{name}", "source": cite}
    doc = {
        "generator": "energy/gen/gen_table.py (energy/gen/regen.sh runs it for every table here)",
        "python": sys.version.split()[0],
        "packages": versions(),
        "cacti_built_with": gxx[0] if gxx else "unknown",
        "tables": {f"leopard-{n}.yaml": f"gen_table.py --config configs/leopard.yaml --node {n} --dram LPDDR4"
                   for n in nodes},
        "dram_presets": presets,
    }
    return ("# Manifest of the generated energy tables; written by energy/gen/gen_table.py --manifest.\n"
            + yaml.safe_dump(doc, sort_keys=False, width=100))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="configs/leopard.yaml", help="lrpsim configuration YAML")
    ap.add_argument("--node", choices=sorted(NODES), help="technology node (required for a table)")
    ap.add_argument("--dram", default="LPDDR4", choices=sorted(DRAM_PRESETS),
                    help="DRAM preset (default LPDDR4: one x64 channel at 4266 MT/s, 34 GB/s, is the "
                         "default config's 32 bytes per cycle at 1 GHz)")
    ap.add_argument("--out", required=True, help="table YAML to write (atomically)")
    ap.add_argument("--manifest", metavar="NODE,NODE", help="write the manifest for these nodes to --out instead")
    ap.add_argument("--lrpsim", default="go run ./cmd/lrpsim",
                    help="command that runs lrpsim (default: go run ./cmd/lrpsim)")
    a = ap.parse_args(argv)
    if a.manifest:
        write_atomic(a.out, manifest(a.manifest.split(",")))
        return 0
    if a.node is None:
        ap.error("--node is required")
    try:
        if not os.path.isfile(a.config):
            raise GenError(f"{a.config}: no such configuration file")
        cfg = resolve_config(a.lrpsim.split(), a.config)
        table, header = generate(cfg, a.config, a.node, a.dram)
    except GenError as e:
        print(f"gen_table: {e}", file=sys.stderr)
        return 1
    text = header + yaml.safe_dump(table, sort_keys=False, width=100, default_flow_style=None)
    write_atomic(a.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
