// Package mstoretest is the behaviour suite every mstore backend passes, and
// the manual clock the suite drives expiry with.
package mstoretest

import (
	"time"

	"msyshost/lib/clock"
)

// Clock is a manual clock; backends under test take its Now.
type Clock = clock.Manual

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return clock.New(t) }
