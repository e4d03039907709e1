"""End-to-end memory network (Sukhbaatar, Szlam, Weston, Fergus, NIPS 2015) for one bAbI task.

The model of the paper's bAbI experiments, "3 hops, PE LS RN", trained on one task at a time:

- memories m_i = sum_j l_j * A x_ij + T_A(i), outputs c_i = sum_j l_j * C x_ij + T_C(i), the query
  u^1 = sum_j l_j * B x_j, with position encoding l_kj = (1 - j/J) - (k/d)(1 - 2j/J) (J words, d
  dimensions, 1-based j and k) and temporal encoding T(i) indexed by recency (0 = the most recent
  statement);
- hop k: p = softmax(u^k . m_i) over the valid memories, o^k = sum_i p_i c_i, u^(k+1) = u^k + o^k;
  answer: softmax(W u^(K+1));
- adjacent weight tying: A^(k+1) = C^k, B = A^1, W^T = C^K (and likewise for the temporal
  matrices), so hop k keys are embedding k and its values embedding k+1;
- linear start (LS): the first phase trains with the memory softmaxes removed (p = u . m_i);
- random noise (RN): during training the time indices are a random increasing subset of
  0 .. L + n - 1, n uniform in [0, ceil(0.1 L)), i.e. up to 10% empty memories are inserted.

Attention goes through an lrpsim_export Session when one is attached (the model sets
`lrp_builtin`), which is how the learned thresholds are trained (soft mask) and applied (hard,
quantized integer comparator). MemN2N's score is u . m without 1/sqrt(d); the session's score is
q . k / sqrt(d), so the model hands over q = sqrt(d) * u: the session's score is then exactly the
model's u . m, the real threshold is in the model's own units, and the trace stores the integers
of q = sqrt(d) * u with its scale (see traces/data/WORKLOADS.md).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def position_encoding(J, d, kind="code"):
    """[J, d] position weights l_jk (word j = 1..J, dimension k = 1..d).

    "paper": l_kj = (1 - j/J) - (k/d)(1 - 2j/J), the formula of the MemN2N paper (section 4.1);
    "code": 1 + 4 (k - (d+1)/2)(j - (J+1)/2) / (d J), the form the authors' own MemN2N-babi-matlab
    code uses (the same bilinear idea, centred on 1). Both encode word order; "code" is the default
    because with it this implementation reaches the paper's accuracies (tasks 4, 13 and 16 need it).
    """
    j = torch.arange(1, J + 1, dtype=torch.float32).view(J, 1)
    k = torch.arange(1, d + 1, dtype=torch.float32).view(1, d)
    if kind == "paper":
        return (1 - j / J) - (k / d) * (1 - 2 * j / J)
    if kind == "code":
        return 1 + 4 * (k - (d + 1) / 2) * (j - (J + 1) / 2) / (d * J)
    raise ValueError(f"position encoding {kind!r}: expected 'code' or 'paper'")


class MemN2N(nn.Module):
    lrp_builtin = True  # lrpsim_export.capture: the model calls its session itself

    def __init__(self, vocab_size, sentence_len, memory_size, dim=20, hops=3, init_std=0.1, empty_slots=True,
                 pe="code"):
        super().__init__()
        self.empty_slots = empty_slots
        self.vocab_size, self.J, self.M, self.d, self.hops = vocab_size, sentence_len, memory_size, dim, hops
        self.num_heads = 1
        self.emb = nn.ParameterList([nn.Parameter(torch.randn(vocab_size, dim) * init_std) for _ in range(hops + 1)])
        self.temb = nn.ParameterList([nn.Parameter(torch.randn(memory_size, dim) * init_std) for _ in range(hops + 1)])
        # J + 1 positions as in the authors' code, whose last position carries the time word: words use
        # the first J, the temporal embedding is weighted by the last
        pe_all = position_encoding(sentence_len + 1, dim, pe)
        self.register_buffer("pe", pe_all[:sentence_len].clone())
        self.register_buffer("pe_time", pe_all[sentence_len].clone())
        self.linear = False  # linear start: no softmax in the memory layers
        self.lrp_session = None
        self.zero_nil()

    @torch.no_grad()
    def zero_nil(self):
        for e in self.emb:
            e[0].zero_()

    def encode(self, E, words):
        """Sum over words of l_j * E x_j: words [..., J] -> [..., d]."""
        return (E[words] * self.pe).sum(-2)

    def memories(self, k, story, time, filled):
        """Hop k's keys m_i and values c_i [B, M, d]; slots beyond the story are zero vectors."""
        f = filled.unsqueeze(-1).to(self.pe.dtype) * self.pe_time
        mk = self.encode(self.emb[k], story) + self.temb[k][time] * f
        ck = self.encode(self.emb[k + 1], story) + self.temb[k + 1][time] * f
        return mk, ck

    def attended(self, mem_len, M):
        """[B] number of memory slots the softmax runs over: all M with empty_slots, else the story's."""
        return torch.full_like(mem_len, M) if self.empty_slots else mem_len

    def forward(self, story, mem_len, time, query):
        """story [B, M, J], mem_len [B], time [B, M] recency indices, query [B, J] -> logits [B, V]."""
        B, M, _ = story.shape
        filled = torch.arange(M).view(1, M) < mem_len.view(B, 1)
        n_att = self.attended(mem_len, M)
        valid = torch.arange(M).view(1, M) < n_att.view(B, 1)
        u = self.encode(self.emb[0], query)
        for k in range(self.hops):
            mk, ck = self.memories(k, story, time, filled)
            s = self.lrp_session
            if s is not None:
                o = s.attend((u * math.sqrt(self.d)).view(B, 1, 1, self.d), mk.view(B, 1, M, self.d),
                             ck.view(B, 1, M, self.d), causal=False, layer=k,
                             valid_q=torch.ones(B, dtype=torch.long), valid_k=n_att).view(B, self.d)
            else:
                sc = torch.einsum("bmd,bd->bm", mk, u)
                if self.linear:
                    p = sc * valid
                else:
                    p = torch.softmax(sc.masked_fill(~valid, float("-inf")), dim=-1)
                o = torch.einsum("bm,bmd->bd", p, ck)
            u = u + o
        return u @ self.emb[self.hops].t()

    def scores(self, story, mem_len, time, query):
        """Dense pre-softmax scores u^k . m_i per hop: list of ([B, M] scores, [B, M] valid)."""
        B, M, _ = story.shape
        filled = torch.arange(M).view(1, M) < mem_len.view(B, 1)
        valid = torch.arange(M).view(1, M) < self.attended(mem_len, M).view(B, 1)
        u = self.encode(self.emb[0], query)
        out = []
        for k in range(self.hops):
            mk, ck = self.memories(k, story, time, filled)
            sc = torch.einsum("bmd,bd->bm", mk, u)
            out.append((sc, valid))
            p = torch.softmax(sc.masked_fill(~valid, float("-inf")), dim=-1)
            u = u + torch.einsum("bm,bmd->bd", p, ck)
        return out


def recency(mem_len, M):
    """[B, M] time indices without noise: memory i of L (oldest first) gets L - 1 - i."""
    i = torch.arange(M).view(1, M)
    t = mem_len.view(-1, 1) - 1 - i
    return t.clamp(min=0)


def random_recency(mem_len, M, noise, gen):
    """[B, M] time indices with random noise (RN): a random subset of L of the indices 0 .. L+n-1,
    n uniform in [0, ceil(noise * L)), sorted so that the most recent memory gets the smallest,
    capped at M - 1."""
    B = mem_len.shape[0]
    W = M + int(math.ceil(noise * M)) + 1
    L = mem_len.view(B, 1)
    hi = torch.ceil(noise * L.double()).long().clamp(min=1)
    nblank = (torch.rand(B, 1, generator=gen) * hi).long().clamp(max=hi - 1)
    span = L + nblank
    r = torch.rand(B, W, generator=gen)
    r = r.masked_fill(torch.arange(W).view(1, W) >= span, 2.0)
    pick = r.argsort(dim=1)[:, :M]  # the first L are a random subset of 0 .. span-1
    pick = pick.masked_fill(torch.arange(M).view(1, M) >= L, W + 1)
    srt = pick.sort(dim=1).values  # ascending, the L chosen ones first
    # memory i (oldest first) gets the (L-1-i)-th smallest chosen index
    idx = (L - 1 - torch.arange(M).view(1, M)).clamp(min=0)
    t = srt.gather(1, idx)
    t = t.masked_fill(torch.arange(M).view(1, M) >= L, 0)
    return t.clamp(max=M - 1)


def cross_entropy(logits, answer, reduction="mean"):
    return F.cross_entropy(logits, answer, reduction=reduction)
