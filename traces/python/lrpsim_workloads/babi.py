"""bAbI question answering (Weston et al. 2015, tasks_1-20_v1-2, CC BY 3.0) as MemN2N reads it.

A sample is one question with the statements of its story that precede it (questions are not
memories), at most `memory_size` of them, the most recent ones. Words are lower-cased tokens
without punctuation; an answer is one vocabulary entry, so the list answers of task 8
("apple,football") and the paths of task 19 ("n,s") are single symbols, as in the MemN2N paper.
The vocabulary is built from the training file only (index 0 is the nil word); a test word that is
not in it maps to nil and is counted.
"""

import dataclasses
import glob
import os
import re

import torch

from lrpsim_export.data import default_babi_dir  # the project's copy of bAbI (../shared/data/babi/en)

TASK_NAMES = {
    1: "single-supporting-fact", 2: "two-supporting-facts", 3: "three-supporting-facts",
    4: "two-arg-relations", 5: "three-arg-relations", 6: "yes-no-questions", 7: "counting",
    8: "lists-sets", 9: "simple-negation", 10: "indefinite-knowledge", 11: "basic-coreference",
    12: "conjunction", 13: "compound-coreference", 14: "time-reasoning", 15: "basic-deduction",
    16: "basic-induction", 17: "positional-reasoning", 18: "size-reasoning", 19: "path-finding",
    20: "agents-motivations",
}

_TOKEN = re.compile(r"[a-z0-9']+")


class BabiError(Exception):
    pass


def tokenize(text):
    return _TOKEN.findall(text.lower())


def task_file(babi_dir, task, split):
    pat = os.path.join(babi_dir, f"qa{task}_*_{split}.txt")
    found = sorted(glob.glob(pat))
    if len(found) != 1:
        raise BabiError(f"{pat}: expected one bAbI file, found {len(found)} (the en/ folder of "
                        "tasks_1-20_v1-2; set --babi-dir or $LRPSIM_BABI_DIR)")
    return found[0]


@dataclasses.dataclass
class Question:
    story: int  # index of the story in its file
    line: int  # line number (the bAbI id) of the question
    memories: list  # token lists of the statements before the question, oldest first (all of them)
    query: list  # tokens of the question
    answer: str
    support: list  # bAbI ids of the supporting facts
    memory_ids: list  # bAbI ids of the memories


def read_questions(path):
    """Every question of a bAbI file, in file order."""
    out, stmts, ids, story = [], [], [], -1
    with open(path, "r", encoding="ascii") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if not raw.strip():
                continue
            num, _, text = raw.partition(" ")
            n = int(num)
            if n == 1:
                stmts, ids, story = [], [], story + 1
            if "\t" in text:
                q, ans, sup = (text.split("\t") + ["", ""])[:3]
                out.append(Question(story, n, list(stmts), tokenize(q), ans.strip(),
                                    [int(x) for x in sup.split()], list(ids)))
            else:
                stmts.append(tokenize(text))
                ids.append(n)
    return out


class Vocab:
    def __init__(self, questions):
        words = set()
        for q in questions:
            for s in q.memories:
                words.update(s)
            words.update(q.query)
            words.add(q.answer)
        self.words = ["<nil>"] + sorted(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.unknown = 0

    def __len__(self):
        return len(self.words)

    def ids(self, tokens):
        out = []
        for t in tokens:
            i = self.index.get(t)
            if i is None:
                self.unknown += 1
                i = 0
            out.append(i)
        return out


@dataclasses.dataclass
class Tensors:
    """A split as tensors: story [N, M, J] word ids (sentence i of M, oldest first, right-padded
    with nil sentences), mem_len [N] valid memories, query [N, J], answer [N]."""
    story: torch.Tensor
    mem_len: torch.Tensor
    query: torch.Tensor
    answer: torch.Tensor
    questions: list

    def __len__(self):
        return self.answer.shape[0]

    def subset(self, idx):
        idx = torch.as_tensor(idx, dtype=torch.long)
        return Tensors(self.story[idx], self.mem_len[idx], self.query[idx], self.answer[idx],
                       [self.questions[i] for i in idx.tolist()])


def vectorize(questions, vocab, memory_size, sentence_len):
    N = len(questions)
    story = torch.zeros(N, memory_size, sentence_len, dtype=torch.long)
    query = torch.zeros(N, sentence_len, dtype=torch.long)
    mem_len = torch.zeros(N, dtype=torch.long)
    answer = torch.zeros(N, dtype=torch.long)
    for i, q in enumerate(questions):
        mems = q.memories[-memory_size:]
        if not mems:  # a question before any statement: one nil memory keeps every head non-empty
            mems = [[]]
        for j, s in enumerate(mems):
            ids = vocab.ids(s)[:sentence_len]
            story[i, j, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        mem_len[i] = len(mems)
        ids = vocab.ids(q.query)[:sentence_len]
        query[i, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        answer[i] = vocab.ids([q.answer])[0]
    return Tensors(story, mem_len, query, answer, list(questions))


@dataclasses.dataclass
class BabiTask:
    task: int
    name: str
    vocab: Vocab
    train: Tensors  # the first 90% of the training file's questions
    valid: Tensors  # the last 10% (as the MemN2N code splits it)
    test: Tensors
    memory_size: int
    sentence_len: int
    train_path: str
    test_path: str


def load_task(task, babi_dir=None, memory_size=50, valid_fraction=0.1):
    babi_dir = babi_dir or default_babi_dir()
    if task not in TASK_NAMES:
        raise BabiError(f"bAbI task {task}: expected 1..20")
    tr_path, te_path = task_file(babi_dir, task, "train"), task_file(babi_dir, task, "test")
    train_q, test_q = read_questions(tr_path), read_questions(te_path)
    vocab = Vocab(train_q)
    J = max(len(s) for q in train_q + test_q for s in q.memories[-memory_size:] + [q.query])
    M = min(memory_size, max(max(len(q.memories) for q in train_q + test_q), 1))
    full = vectorize(train_q, vocab, M, J)
    vocab.unknown = 0
    test = vectorize(test_q, vocab, M, J)
    n_valid = int(round(len(full) * valid_fraction))
    n_train = len(full) - n_valid
    return BabiTask(task, TASK_NAMES[task], vocab, full.subset(range(n_train)),
                    full.subset(range(n_train, len(full))), test, M, J, tr_path, te_path)
