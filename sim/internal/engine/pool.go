package engine

// Pool bounds how many simulations compute at once, across every run that shares it: a sweep
// gives all its points one pool sized to its --jobs, so points and the configurations inside
// them share the cores instead of each point spreading its configurations over all of them. A
// simulation holds a slot while it computes and gives it back while it waits for a lagging
// configuration to release shared heads (sharedHeads), so a pool smaller than the
// configurations that share heads cannot deadlock. A nil *Pool bounds nothing.
type Pool struct{ slots chan struct{} }

// NewPool returns a pool of n slots (at least 1).
func NewPool(n int) *Pool { return &Pool{slots: make(chan struct{}, max(n, 1))} }

// Size is the number of slots.
func (p *Pool) Size() int { return cap(p.slots) }

func (p *Pool) acquire() {
	if p != nil {
		p.slots <- struct{}{}
	}
}

func (p *Pool) release() {
	if p != nil {
		<-p.slots
	}
}
