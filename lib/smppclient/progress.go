package smppclient

import (
	"math/rand/v2"
	"sync"
	"time"

	"msyshost/lib/smpp"
)

// What the SMSC accepted of a message is kept here, by spool id, until
// the message is stored for its receipts: a spool retry after a failure
// then goes on from where it stopped instead of sending again what the
// handset has (a long SMS's first segments, or all of it when only the
// storing failed). A retry must use the concatenation reference of the
// segments sent, so the handset joins them. A restart forgets this: the
// message is then sent again whole, with a new reference.

// progressPeriod bounds how long an entry waits for its message to come
// back; the spool retries well within it.
const progressPeriod = 24 * time.Hour

// progressEntries bounds the entries kept; past it the oldest go.
const progressEntries = 1 << 16

// progress is how far one message got.
type progress struct {
	domain string // whose SMSC took the segments: a message rerouted meanwhile starts over
	text   string // what was split, so a message changed meanwhile starts over
	coding uint8
	ref    uint16
	concat smpp.Concat // how the segments say they belong together
	total  int         // segments
	ids    []string    // the accepted segments' ids, as stored keys, in order
	at     time.Time
}

// progressBook is the channel's progress entries and concatenation
// reference counters.
type progressBook struct {
	mu   sync.Mutex
	by   map[string]*progress
	refs map[string]uint16 // next reference per destination
}

func newProgressBook() *progressBook {
	return &progressBook{by: map[string]*progress{}, refs: map[string]uint16{}}
}

// resume returns the progress of message id when it was made through the
// same domain (the same SMSC, whose receipts name those segments) for the
// same text and coding, else nil (and forgets a stale one).
func (pb *progressBook) resume(id, domain, text string, coding uint8) *progress {
	if id == "" {
		return nil
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	p := pb.by[id]
	if p == nil {
		return nil
	}
	if p.domain != domain || p.text != text || p.coding != coding || time.Since(p.at) > progressPeriod {
		delete(pb.by, id)
		return nil
	}
	return p
}

// keep records p for message id.
func (pb *progressBook) keep(id string, p *progress) {
	if id == "" {
		return
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	p.at = time.Now()
	pb.by[id] = p
	if len(pb.by) > progressEntries {
		var oldest string
		for k, v := range pb.by {
			if oldest == "" || v.at.Before(pb.by[oldest].at) {
				oldest = k
			}
		}
		delete(pb.by, oldest)
	}
}

// forget drops message id's progress: stored, failed for good, or not
// tracked.
func (pb *progressBook) forget(id string) {
	pb.mu.Lock()
	delete(pb.by, id)
	pb.mu.Unlock()
}

// ref is the next concatenation reference for a destination (3GPP 23.040
// 9.2.3.24.1: the reference tells one long message from the next sent to
// the same handset, so it counts up per destination; random references
// collide after a few hundred messages with an 8-bit one). A destination
// starts at a random value, so a restart does not reuse the same ones.
func (pb *progressBook) ref(dest string, refLen int) uint16 {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	r, ok := pb.refs[dest]
	if !ok {
		if len(pb.refs) >= progressEntries {
			clear(pb.refs)
		}
		r = uint16(rand.IntN(0x10000))
	}
	if refLen == 1 {
		r &= 0xFF
	}
	next := r + 1
	if refLen == 1 {
		next &= 0xFF
	}
	pb.refs[dest] = next
	return r
}
