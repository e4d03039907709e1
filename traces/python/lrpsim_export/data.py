"""Real English inputs: passages of the bAbI tasks (Weston et al. 2015, CC BY 3.0), read from the
project's shared copy (../shared/data/babi, see its PROVENANCE.md).

A passage is one bAbI story: its lines (facts, and questions without their answers) joined with
spaces, cut at a sentence boundary so that it stays within a token budget. Passages are taken in file
order, round-robin over the tasks, so a selection is the same on every machine.
"""

import glob
import os
import re

from .errors import ExportError


def default_babi_dir():
    env = os.environ.get("LRPSIM_BABI_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "..", "shared", "data", "babi", "en"))


def read_stories(path):
    """Stories of one bAbI file: lists of sentences (questions keep their text, lose the answer)."""
    stories, cur = [], []
    with open(path, "r", encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            num, _, text = line.partition(" ")
            if num == "1" and cur:
                stories.append(cur)
                cur = []
            cur.append(text.split("\t")[0].strip())
    if cur:
        stories.append(cur)
    return stories


def _task_number(path):
    m = re.match(r"qa(\d+)_", os.path.basename(path))
    return int(m.group(1)) if m else 0


def babi_passages(babi_dir, split, count, *, max_tokens=None, tokenize=None, skip=0):
    """`count` passages of the `split` ("train" or "test") files of every task in babi_dir, round-robin
    over the tasks in task order, after skipping the first `skip` of that order. With `tokenize` and
    `max_tokens`, a passage ends at the last sentence that keeps it within max_tokens tokens."""
    files = sorted(glob.glob(os.path.join(babi_dir, f"qa*_{split}.txt")), key=_task_number)
    if not files:
        raise ExportError(f"{babi_dir}: no bAbI files qa*_{split}.txt (expected the en/ folder of "
                          "bAbI tasks_1-20_v1-2; set --babi-dir or $LRPSIM_BABI_DIR)")
    per_task = [read_stories(f) for f in files]
    out, i = [], 0
    need = skip + count
    while len(out) < need:
        progressed = False
        for stories in per_task:
            if i < len(stories):
                progressed = True
                out.append(_passage(stories[i], max_tokens, tokenize))
                if len(out) == need:
                    break
        if not progressed:
            raise ExportError(f"{babi_dir}: only {len(out)} stories in the {split} files, {need} wanted")
        i += 1
    return out[skip:]


def _passage(sentences, max_tokens, tokenize):
    text = sentences[0]
    for s in sentences[1:]:
        cand = text + " " + s
        if max_tokens is not None and tokenize is not None and len(tokenize(cand)) > max_tokens:
            break
        text = cand
    return text
