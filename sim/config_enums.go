package sim

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/lrpsim/lrpsim/arch"
)

// The config's string enums. The fixed ones list their words in enumWords; the variant names
// (memory.model, dispatch, pruning.policy) are the names registered in arch's registries, so a
// new variant is known to decoding, checks and messages without an edit here.
type (
	// VFetch names when V rows come from DRAM.
	VFetch string
	// KLayout names how K is stored in DRAM.
	KLayout string
	// KReads names how lanes read K bit-planes from the K SRAM.
	KReads string
	// Granularity says which threshold register a head uses: one per head, or one per layer
	// shared by its heads. It is read and checked when a config file is read.
	Granularity string
	// Dispatch names how row tasks reach the front-end units: a dispatcher registered in
	// arch.Dispatchers.
	Dispatch string
	// MemoryModel names a memory system model registered in arch.MemoryModels.
	MemoryModel string
)

// The words of the fixed enums, and the built-in variants' names.
const (
	// VWhole: a tile's load brings its V rows with its K rows. VOnDemand: a key's V row is
	// fetched, once per tile, when a survivor of it is pushed.
	VWhole, VOnDemand VFetch = "whole", "on_demand"
	// WordMajor: each key's elements together, bits of an element together. PlaneMajor: each
	// tile's keys stored bit-plane by bit-plane, MSB first.
	WordMajor, PlaneMajor KLayout = "word_major", "plane_major"
	// PerRow: every lane reads its key's planes for its own query row. Broadcast: a plane read
	// serves every unit working on the same key at once.
	PerRow, Broadcast KReads = "per_row", "broadcast"
	// PerHead: each head has its own threshold (the trace's per-head thresholds). PerLayer: the
	// heads of a layer share one threshold.
	PerHead, PerLayer Granularity = "head", "layer"
	// StaticDispatch binds query row r of a head to unit r mod units (arch.StaticDispatcher).
	// DynamicDispatch lets a free unit take the next row task of any loaded head
	// (arch.DynamicDispatcher).
	StaticDispatch, DynamicDispatch Dispatch = "static", "dynamic"
	// SerialMemory: one DRAM load at a time in tile order, each paying the full latency, into
	// two K/V buffers (arch.SerialMemory). PipelinedMemory: requests in flight over several
	// channels and a pool of K/V buffers (arch.PipelinedMemory).
	SerialMemory, PipelinedMemory MemoryModel = "serial", "pipelined"
)

// enumWords are what each fixed string enum names, for messages, and its words in the order
// messages list them.
var enumWords = map[reflect.Type]struct {
	what  string
	words []string
}{
	reflect.TypeFor[VFetch]():      {"V fetch policy", []string{string(VWhole), string(VOnDemand)}},
	reflect.TypeFor[KLayout]():     {"K layout", []string{string(WordMajor), string(PlaneMajor)}},
	reflect.TypeFor[KReads]():      {"K read policy", []string{string(PerRow), string(Broadcast)}},
	reflect.TypeFor[Granularity](): {"threshold granularity", []string{string(PerHead), string(PerLayer)}},
}

// UnmarshalText reads a V fetch policy from its config spelling.
func (v *VFetch) UnmarshalText(text []byte) error { return setEnum(v, text) }

// UnmarshalText reads a K layout from its config spelling.
func (k *KLayout) UnmarshalText(text []byte) error { return setEnum(k, text) }

// UnmarshalText reads a K read policy from its config spelling.
func (k *KReads) UnmarshalText(text []byte) error { return setEnum(k, text) }

// UnmarshalText reads a granularity from its config spelling, head or layer.
func (g *Granularity) UnmarshalText(text []byte) error { return setEnum(g, text) }

// UnmarshalText reads a dispatch policy from its config spelling, a registered dispatcher.
func (d *Dispatch) UnmarshalText(text []byte) error { return setEnum(d, text) }

// UnmarshalText reads a memory model from its config spelling, a registered model.
func (m *MemoryModel) UnmarshalText(text []byte) error { return setEnum(m, text) }

// enumOf is what a string enum of type t names and its words, and whether t is one.
func enumOf(t reflect.Type) (what string, words []string, ok bool) {
	switch t {
	case reflect.TypeFor[Dispatch]():
		return arch.Dispatchers.Kind(), arch.Dispatchers.Names(), true
	case reflect.TypeFor[MemoryModel]():
		return arch.MemoryModels.Kind(), arch.MemoryModels.Names(), true
	case reflect.TypeFor[arch.LaneSchedule]():
		return "lane scheduling", []string{arch.DynamicLanes.String(), arch.LockstepLanes.String()}, true
	}
	e, ok := enumWords[t]
	return e.what, e.words, ok
}

// setEnum reads a string enum from its config spelling into dst, which must be one of its words.
func setEnum[T ~string](dst *T, text []byte) error {
	what, words, _ := enumOf(reflect.TypeFor[T]())
	if !slices.Contains(words, string(text)) {
		return &enumError{what: what, got: string(text), want: arch.OrList(words)}
	}
	*dst = T(text)
	return nil
}

// enumError is an unknown spelling of a string enum.
type enumError struct{ what, got, want string }

func (e *enumError) Error() string {
	return fmt.Sprintf("unknown %s %q (want %s)", e.what, e.got, e.want)
}

// enumProblem checks a string enum of a Config built in Go by reading it as a file's value is
// read (a file's enums are checked as it is read), so the accepted spellings live in one place.
func enumProblem[T ~string, P interface {
	*T
	UnmarshalText([]byte) error
}](c *Config, key string, v T) error {
	var x T
	var ee *enumError
	if err := P(&x).UnmarshalText([]byte(v)); errors.As(err, &ee) {
		return c.errAt(key, ee.want, fmt.Sprintf("%q", v))
	}
	return nil
}
