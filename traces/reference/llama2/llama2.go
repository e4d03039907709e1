// Package llama2 is an independent reference forward pass of llama2.c checkpoints (legacy "v0"
// format, e.g. stories260K.bin), used to check lrpsim_export's PyTorch re-implementation logit for
// logit. It follows llama2.c's own inference loop: one token at a time, with a key/value cache, in
// float32, so that it shares no code or structure with the batched PyTorch model it checks.
package llama2

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// Config is the checkpoint header.
type Config struct {
	Dim, HiddenDim, Layers, Heads, KVHeads, Vocab, SeqLen int
	SharedClassifier                                      bool
}

// Model holds the weights, row-major [out][in] as in the file.
type Model struct {
	Config
	tok, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal, wcls []float32
}

// Load reads a llama2.c checkpoint and checks that its size matches its header.
func Load(path string) (*Model, error) {
	raw, err := safeio.ReadFile(path, "a llama2.c checkpoint", 1<<32)
	if err != nil {
		return nil, err
	}
	if len(raw) < 28 {
		return nil, fmt.Errorf("%s: %d bytes, too short for the 28-byte header", path, len(raw))
	}
	var h [7]int32
	for i := range h {
		h[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	c := Config{Dim: int(h[0]), HiddenDim: int(h[1]), Layers: int(h[2]), Heads: int(h[3]),
		KVHeads: int(h[4]), Vocab: int(h[5]), SeqLen: int(h[6]), SharedClassifier: h[5] > 0}
	if c.Vocab < 0 {
		c.Vocab = -c.Vocab
	}
	if c.Dim <= 0 || c.Heads <= 0 || c.KVHeads <= 0 || c.Dim%c.Heads != 0 || c.Heads%c.KVHeads != 0 ||
		c.Layers <= 0 || c.HiddenDim <= 0 || c.Vocab <= 0 || c.SeqLen <= 0 {
		return nil, fmt.Errorf("%s: implausible header %v", path, h)
	}
	hs := c.Dim / c.Heads
	kv := c.Dim * c.KVHeads / c.Heads
	L := c.Layers
	sizes := []int{c.Vocab * c.Dim, L * c.Dim, L * c.Dim * c.Dim, L * kv * c.Dim, L * kv * c.Dim,
		L * c.Dim * c.Dim, L * c.Dim, L * c.HiddenDim * c.Dim, L * c.Dim * c.HiddenDim,
		L * c.HiddenDim * c.Dim, c.Dim, c.SeqLen * hs / 2, c.SeqLen * hs / 2}
	if !c.SharedClassifier {
		sizes = append(sizes, c.Vocab*c.Dim)
	}
	need := 28
	for _, s := range sizes {
		need += 4 * s
	}
	if len(raw) != need {
		return nil, fmt.Errorf("%s: %d bytes, its header needs %d", path, len(raw), need)
	}
	off := 28
	next := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[off+4*i:]))
		}
		off += 4 * n
		return out
	}
	m := &Model{Config: c}
	arrs := []*[]float32{&m.tok, &m.rmsAtt, &m.wq, &m.wk, &m.wv, &m.wo, &m.rmsFFN, &m.w1, &m.w2, &m.w3, &m.rmsFinal}
	for i, p := range arrs {
		*p = next(sizes[i])
	}
	next(sizes[11]) // freq_cis_real: recomputed below, as llama2.c does
	next(sizes[12]) // freq_cis_imag
	if c.SharedClassifier {
		m.wcls = m.tok
	} else {
		m.wcls = next(c.Vocab * c.Dim)
	}
	return m, nil
}

func rmsnorm(out, x, w []float32) {
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	ss = ss/float32(len(x)) + 1e-5
	inv := float32(1 / math.Sqrt(float64(ss)))
	for i := range x {
		out[i] = w[i] * (inv * x[i])
	}
}

// matvec: out[i] = sum_j w[i*n+j] * x[j] for w of shape [len(out)][n].
func matvec(out, x, w []float32) {
	n := len(x)
	for i := range out {
		var s float32
		row := w[i*n : (i+1)*n]
		for j, v := range x {
			s += row[j] * v
		}
		out[i] = s
	}
}

// Logits runs the tokens through the model one position at a time and returns the logits of every
// position ([len(tokens)][Vocab]).
func (m *Model) Logits(tokens []int) ([][]float32, error) {
	c := m.Config
	if len(tokens) > c.SeqLen {
		return nil, fmt.Errorf("%d tokens: the model handles at most %d", len(tokens), c.SeqLen)
	}
	hs := c.Dim / c.Heads
	kvDim := c.Dim * c.KVHeads / c.Heads
	keyCache := make([]float32, c.Layers*c.SeqLen*kvDim)
	valCache := make([]float32, c.Layers*c.SeqLen*kvDim)
	x := make([]float32, c.Dim)
	xb := make([]float32, c.Dim)
	xb2 := make([]float32, c.Dim)
	q := make([]float32, c.Dim)
	hb := make([]float32, c.HiddenDim)
	hb2 := make([]float32, c.HiddenDim)
	att := make([]float32, c.SeqLen)
	out := make([][]float32, 0, len(tokens))
	for pos, tok := range tokens {
		if tok < 0 || tok >= c.Vocab {
			return nil, fmt.Errorf("token %d at position %d: outside the vocabulary of %d", tok, pos, c.Vocab)
		}
		copy(x, m.tok[tok*c.Dim:(tok+1)*c.Dim])
		for l := 0; l < c.Layers; l++ {
			rmsnorm(xb, x, m.rmsAtt[l*c.Dim:(l+1)*c.Dim])
			k := keyCache[(l*c.SeqLen+pos)*kvDim : (l*c.SeqLen+pos+1)*kvDim]
			v := valCache[(l*c.SeqLen+pos)*kvDim : (l*c.SeqLen+pos+1)*kvDim]
			matvec(q, xb, m.wq[l*c.Dim*c.Dim:(l+1)*c.Dim*c.Dim])
			matvec(k, xb, m.wk[l*kvDim*c.Dim:(l+1)*kvDim*c.Dim])
			matvec(v, xb, m.wv[l*kvDim*c.Dim:(l+1)*kvDim*c.Dim])
			rope(q, k, pos, hs, kvDim)
			layerKV := l * c.SeqLen * kvDim
			attend(xb, q, att, keyCache[layerKV:], valCache[layerKV:], pos, c, kvDim)
			matvec(xb2, xb, m.wo[l*c.Dim*c.Dim:(l+1)*c.Dim*c.Dim])
			for i := range x {
				x[i] += xb2[i]
			}
			m.feedForward(x, xb, hb, hb2, l)
		}
		rmsnorm(xb, x, m.rmsFinal)
		logits := make([]float32, c.Vocab)
		matvec(logits, xb, m.wcls)
		out = append(out, logits)
	}
	return out, nil
}

// rope applies the rotary embedding to the pairs (i, i+1) of each head of q and of k (k holds
// the first kvDim elements) at position pos; hs is the head size.
func rope(q, k []float32, pos, hs, kvDim int) {
	for i := 0; i < len(q); i += 2 {
		freq := 1 / math.Pow(10000, float64(i%hs)/float64(hs))
		ang := float64(pos) * float64(float32(freq))
		cr, ci := float32(math.Cos(ang)), float32(math.Sin(ang))
		rot := func(vec []float32) {
			a, b := vec[i], vec[i+1]
			vec[i], vec[i+1] = a*cr-b*ci, a*ci+b*cr
		}
		rot(q)
		if i < kvDim {
			rot(k)
		}
	}
}

// attend writes into out each head's attention output for query q at position pos over the
// layer's cached keys and values of positions 0..pos (keys and vals start at the layer's
// position 0, kvDim elements a position); att is scratch for pos+1 scores.
func attend(out, q, att, keys, vals []float32, pos int, c Config, kvDim int) {
	hs := c.Dim / c.Heads
	group := c.Heads / c.KVHeads
	for h := 0; h < c.Heads; h++ {
		qh := q[h*hs : (h+1)*hs]
		kvh := h / group
		for t := 0; t <= pos; t++ {
			kt := keys[t*kvDim+kvh*hs:]
			var s float32
			for i := 0; i < hs; i++ {
				s += qh[i] * kt[i]
			}
			att[t] = s / float32(math.Sqrt(float64(hs)))
		}
		mx := att[0]
		for t := 1; t <= pos; t++ {
			if att[t] > mx {
				mx = att[t]
			}
		}
		var sum float32
		for t := 0; t <= pos; t++ {
			att[t] = float32(math.Exp(float64(att[t] - mx)))
			sum += att[t]
		}
		o := out[h*hs : (h+1)*hs]
		for i := range o {
			o[i] = 0
		}
		for t := 0; t <= pos; t++ {
			vt := vals[t*kvDim+kvh*hs:]
			a := att[t] / sum
			for i := 0; i < hs; i++ {
				o[i] += a * vt[i]
			}
		}
	}
}

// feedForward adds layer l's SwiGLU feed-forward block to the residual x; xb, hb and hb2 are
// scratch (Dim, HiddenDim and HiddenDim long).
func (m *Model) feedForward(x, xb, hb, hb2 []float32, l int) {
	c := m.Config
	rmsnorm(xb, x, m.rmsFFN[l*c.Dim:(l+1)*c.Dim])
	matvec(hb, xb, m.w1[l*c.HiddenDim*c.Dim:(l+1)*c.HiddenDim*c.Dim])
	matvec(hb2, xb, m.w3[l*c.HiddenDim*c.Dim:(l+1)*c.HiddenDim*c.Dim])
	for i := range hb {
		s := hb[i] / (1 + float32(math.Exp(float64(-hb[i]))))
		hb[i] = s * hb2[i]
	}
	matvec(xb, hb, m.w2[l*c.Dim*c.HiddenDim:(l+1)*c.Dim*c.HiddenDim])
	for i := range x {
		x[i] += xb[i]
	}
}
