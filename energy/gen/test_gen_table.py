"""Tests of gen_table.py (unittest; energy/gen/regen.sh --check runs them in the generator's venv).

Each test states its arithmetic: the generated entries must be the library models' numbers
combined as the docstrings of gen_table.py say."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_table  # noqa: E402
from hwcomponents_cacti import SRAM  # noqa: E402
from hwcomponents_library import AladdinAdder, AladdinRegister  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class GenTableTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.lrpsim = os.environ.get("LRPSIM_BIN") or os.path.join(cls.tmp, "lrpsim")
        if not os.environ.get("LRPSIM_BIN"):
            subprocess.run(["go", "build", "-o", cls.lrpsim, "./cmd/lrpsim"], cwd=ROOT, check=True)
        cls.cfg8 = os.path.join(cls.tmp, "int8.yaml")
        with open(cls.cfg8, "w") as f:
            f.write("name: int8\noperands:\n  bits_q: 8\n  bits_k: 8\n  bits_v: 8\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_gen(self, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "energy/gen/gen_table.py"),
                               "--lrpsim", self.lrpsim, *args], cwd=ROOT, capture_output=True, text=True)

    def table(self, node="45nm"):
        cfg = gen_table.resolve_config([self.lrpsim], self.cfg8)
        return gen_table.generate(cfg, self.cfg8, node, "LPDDR4")[0]["components"]

    def test_lane_area_per_plane(self):
        # int8, d = 64: each extra plane per step adds 64 x 8 AND2 (6/28 of a 1-bit Aladdin adder),
        # 63 tree adders of 9 bits and one W = 8 + 8 + 6 = 22-bit combining adder.
        lane = self.table()["lane"]["area_um2"]["curve"]["points"]
        fa = AladdinAdder(tech_node=45e-9, width=1).area * 1e12
        tree = AladdinAdder(tech_node=45e-9, width=9).area * 1e12
        acc = AladdinAdder(tech_node=45e-9, width=22).area * 1e12
        reg = AladdinRegister(tech_node=45e-9, width=22).area * 1e12
        per_plane = 64 * 8 * fa * 6 / 28 + 63 * tree + acc
        self.assertEqual([p[0] for p in lane], list(range(1, 9)))  # 1..bits_k planes
        self.assertAlmostEqual(lane[0][1], per_plane + reg, delta=1e-5 * lane[0][1])
        self.assertAlmostEqual(lane[7][1], 8 * per_plane + reg, delta=1e-5 * lane[7][1])

    def test_sram_points_are_cacti(self):
        # k_sram is read one 64-bit plane of a key at a time: read_bit = CACTI read energy / 64.
        pts = dict(map(tuple, self.table()["k_sram"]["actions"]["read_bit"]["curve"]["points"]))
        want = SRAM(tech_node=45e-9, width=64, size=131072 * 8).read().energy * 1e12 / 64
        self.assertEqual(pts[131072], gen_table.sig(want))
        self.assertGreater(pts[1 << 20], pts[1 << 14])  # larger arrays, longer wires

    def test_widths_move_energy(self):
        # The bit_product of a 16-bit lane: 16 AND2 + a 17-bit adder, more than 8 AND2 + 9-bit.
        cfg16 = gen_table.resolve_config([self.lrpsim], os.path.join(ROOT, "configs/leopard.yaml"))
        e16 = gen_table.generate(cfg16, "leopard", "45nm", "LPDDR4")[0]["components"]["lane"]["actions"]["bit_product"]["value"]
        e8 = self.table()["lane"]["actions"]["bit_product"]["value"]
        fa = AladdinAdder(tech_node=45e-9, width=1).add().energy * 1e12
        self.assertAlmostEqual(e16 - e8, 8 * fa * 6 / 28 + 8 * fa, delta=1e-5 * e16)  # Aladdin adders are linear in width

    def test_deterministic(self):
        out = [os.path.join(self.tmp, f"t{i}.yaml") for i in range(2)]
        for o in out:
            r = self.run_gen("--config", self.cfg8, "--node", "65nm", "--out", o)
            self.assertEqual(r.returncode, 0, r.stderr)
        texts = []
        for o in out:
            with open(o) as f:
                texts.append(f.read())
        self.assertEqual(texts[0], texts[1])

    def test_bad_inputs(self):
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("front_end:\n  lanes: many\n")
        for args, want in (
                (["--config", os.path.join(self.tmp, "missing.yaml")], "missing.yaml: no such configuration file"),
                (["--config", bad], "front_end.lanes"),
        ):
            out = os.path.join(self.tmp, "never.yaml")
            r = self.run_gen(*args, "--node", "45nm", "--out", out)
            self.assertEqual(r.returncode, 1)
            self.assertIn(want, r.stderr)
            self.assertFalse(os.path.exists(out), "no partial output")


if __name__ == "__main__":
    unittest.main()
