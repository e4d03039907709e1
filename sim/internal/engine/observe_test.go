package engine

import "testing"

// quiet is an Observer that hears nothing; orderFreeObs says whether it minds the units' order.
type quiet struct{ boundObserver }

type orderFreeObs struct {
	quiet
	free bool
}

func (o *orderFreeObs) OrderFree() bool { return o.free }

// TestRunsAhead: the event engine runs units ahead of the clock with no observer or only
// order-free ones (alone or fanned out), and not with any other observer, an order-free one that
// says no, or V fetched on demand.
func TestRunsAhead(t *testing.T) {
	free, notFree, plain := &orderFreeObs{free: true}, &orderFreeObs{free: false}, &quiet{}
	for _, c := range []struct {
		name     string
		obs      Observer
		onDemand bool
		want     bool
	}{
		{"none", nil, false, true},
		{"order-free", free, false, true},
		{"two order-free", Fanout(free, free), false, true},
		{"order-free says no", notFree, false, false},
		{"plain observer", plain, false, false},
		{"order-free and plain", Fanout(free, plain), false, false},
		{"none, V on demand", nil, true, false},
		{"order-free, V on demand", free, true, false},
	} {
		p := &Params{VOnDemand: c.onDemand}
		if got := runsAhead(p, Options{Observer: c.obs}); got != c.want {
			t.Errorf("%s: runsAhead %v, want %v", c.name, got, c.want)
		}
	}
}
