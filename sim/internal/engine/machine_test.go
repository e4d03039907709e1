package engine

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
)

// nopCounting counts nothing: the builder's tests run no unit.
type nopCounting struct{}

func (nopCounting) decided(int, *head, int, arch.Decision)  {}
func (nopCounting) recordPush(int, *head, arch.Push, int64) {}

// TestNewMachine: the builder gives every unit its own front end, back end, FIFO and port, the
// FIFO of the configured depth, and refuses V rows on demand over a memory that cannot fetch
// rows.
func TestNewMachine(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	src := heads{smallHead(r, 0)}
	p := testParams("m", true, true)
	m, err := newMachine(p, newWorkload(p, src, planeKernel), Options{}, Event, nopCounting{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.fe) != p.Units || len(m.be) != p.Units || len(m.fifo) != p.Units || len(m.port) != p.Units {
		t.Fatalf("%d/%d/%d/%d front ends/back ends/FIFOs/ports, want %d each", len(m.fe), len(m.be), len(m.fifo), len(m.port), p.Units)
	}
	for u := range p.Units {
		if m.port[u] != arch.SurvivorPort(m.fifo[u]) {
			t.Errorf("unit %d pushes into another port than its FIFO", u)
		}
		if m.fifo[u].Room() != p.FIFODepth {
			t.Errorf("unit %d's FIFO holds %d entries, want %d", u, m.fifo[u].Room(), p.FIFODepth)
		}
		for v := range u {
			if m.fifo[u] == m.fifo[v] || m.fe[u] == m.fe[v] || m.be[u] == m.be[v] {
				t.Errorf("units %d and %d share a component", v, u)
			}
		}
	}
	if m.lastBusy != -1 || m.st.Engine != Event || m.bound == nil {
		t.Errorf("new machine: lastBusy %d, engine %q, bound analyzer %v", m.lastBusy, m.st.Engine, m.bound)
	}

	p.VOnDemand = true
	if _, err := newMachine(p, newWorkload(p, src, planeKernel), Options{}, Reference, nopCounting{}); err == nil ||
		!strings.Contains(err.Error(), "memory.model pipelined") {
		t.Errorf("V on demand over the serial memory: error %v, want one naming memory.model pipelined", err)
	}
}
