// Package spool owns what happens to a message after policy is done with it:
// injection back into delivery and bounces to the original sender. Until the
// daemon's spool exists, Recorder implements both and keeps what it was given
// so the scenario runner can assert it.
package spool

import (
	"context"
	"sync"

	"msyshost/lib/message"
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
