// Package clock is the manual clock that scenarios and tests move by hand:
// stores, the retry core and the Lua host take its Now instead of
// time.Now, so retention and dates are the same on every run.
package clock

import (
	"sync"
	"time"
)

// Manual is a clock that moves when told to, and, once Run, with real
// time as well (a scenario with network peers, whose timers are real).
type Manual struct {
	mu    sync.Mutex
	now   time.Time
	since time.Time // when Run was called; zero: the clock stands still
}

// New starts a clock at t.
func New(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.since.IsZero() {
		return c.now.Add(time.Since(c.since))
	}
	return c.now
}

// Run makes the clock move with real time from now on, besides Advance.
func (c *Manual) Run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		c.since = time.Now()
	}
}

// Advance moves the clock forward by d.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
