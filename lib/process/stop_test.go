package process

import (
	"context"
	"testing"
	"time"
)

// greedy is a component whose Stop waits for its whole context, as a
// listener with a client that never leaves; it notes the time it had.
type greedy struct {
	name string
	had  time.Duration
}

func (g *greedy) Name() string                { return g.name }
func (g *greedy) Start(context.Context) error { return nil }
func (g *greedy) Stop(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		g.had = time.Until(dl)
	}
	<-ctx.Done()
	return nil
}

// TestStopLeavesLaterComponentsTime: a component that takes all the time
// it is given at shutdown does not leave those stopped after it none.
// Before the fix SMTP in's Stop used the whole budget and the spool got an
// expired context, cancelling every delivery under way.
func TestStopLeavesLaterComponentsTime(t *testing.T) {
	spool, listener := &greedy{name: "spool"}, &greedy{name: "smtp in"}
	p := &Process{components: []Component{spool, listener}, started: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.stopComponents(ctx)
	if spool.had < 300*time.Millisecond {
		t.Fatalf("the spool was left %v of a 2s budget after the listener stopped", spool.had)
	}
	if listener.had > 1800*time.Millisecond || listener.had < time.Second {
		t.Fatalf("the listener, stopped first, had %v of a 2s budget", listener.had)
	}
}
