// Package spool owns what happens to a message after policy is done with it:
// the durable queue (Spool: one bbolt file, FORMAT.md) every accepted
// message waits in until its channel takes it, the retry schedule of
// temporary failures, and the interfaces through which messages are
// injected and bounced. Recorder implements Injector and Bouncer by only
// remembering, for the scenario runner.
package spool

import (
	"context"
	"sync"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// Injector takes a message, with its own envelope, for delivery.
type Injector interface {
	Inject(ctx context.Context, m *message.Message) error
}

// Bounce is a failure notice owed to the original sender of a message.
type Bounce struct {
	To      string // the original envelope sender
	Message *message.Message
	Reason  string // e.g. "SMPP delivery receipt stat:UNDELIV err:001"
	// Err is the status that failed the message, when there is one (the
	// peer's reply, or the spool's expiry); a DSN takes its Status and
	// Diagnostic-Code from it.
	Err *status.Error
}

// Bouncer generates bounces.
type Bouncer interface {
	Bounce(ctx context.Context, b Bounce) error
}

// Recorder is an Injector and a Bouncer that only remembers.
type Recorder struct {
	mu       sync.Mutex
	injected []*message.Message
	bounces  []Bounce
}

var (
	_ Injector = (*Recorder)(nil)
	_ Bouncer  = (*Recorder)(nil)
)

func (r *Recorder) Inject(_ context.Context, m *message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.injected = append(r.injected, m)
	return nil
}

func (r *Recorder) Bounce(_ context.Context, b Bounce) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bounces = append(r.bounces, b)
	return nil
}

// Take returns what was recorded since the last Take and forgets it.
func (r *Recorder) Take() (injected []*message.Message, bounces []Bounce) {
	r.mu.Lock()
	defer r.mu.Unlock()
	injected, bounces = r.injected, r.bounces
	r.injected, r.bounces = nil, nil
	return injected, bounces
}
