package spool

import (
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
)

// TestScheduleBackoff walks the retries of Momentum's documented cases.
func TestScheduleBackoff(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := func(ri, mri, exp time.Duration, retries int) Schedule {
		return Schedule{RetryInterval: ri, MaxRetryInterval: mri, Expiration: exp, MaxRetries: retries}
	}
	for _, tc := range []struct {
		name  string
		s     Schedule
		waits []time.Duration // between a failure and the next attempt, until the message fails
	}{
		{
			// Defaults: auto derives 6 retries from 86400 s (1200 × 63 ≤ 86400 < 1200 × 127),
			// and auto does not cap the back-off.
			name:  "defaults",
			s:     DefaultSchedule,
			waits: []time.Duration{1200, 2400, 4800, 9600, 19200, 38400},
		},
		{
			// Momentum's fixed-interval example: every 1200 s, failed after 5 retries.
			name:  "fixed interval",
			s:     s(1200*time.Second, 1200*time.Second, 86400*time.Second, 5),
			waits: []time.Duration{1200, 1200, 1200, 1200, 1200},
		},
		{
			name:  "capped doubling, no retry limit, expiry decides",
			s:     s(1000*time.Second, 3000*time.Second, 10000*time.Second, RetriesNone),
			waits: []time.Duration{1000, 2000, 3000, 3000, 1000}, // the last is cut to the expiry
		},
		{
			name:  "zero retries",
			s:     s(60*time.Second, 600*time.Second, 86400*time.Second, 0),
			waits: nil,
		},
		{
			name:  "never retry",
			s:     Schedule{RetryInterval: 60 * time.Second, MaxRetryInterval: 600 * time.Second, Expiration: 86400 * time.Second, MaxRetries: RetriesNone, NeverRetry: true},
			waits: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			var got []time.Duration
			for attempts := 1; attempts < 100; attempts++ {
				at, ok := tc.s.next(t0, now, attempts)
				if !ok {
					break
				}
				got = append(got, at.Sub(now)/time.Second)
				now = at
			}
			if len(got) != len(tc.waits) {
				t.Fatalf("waits %v, want %v", got, tc.waits)
			}
			for i := range got {
				if got[i] != tc.waits[i] {
					t.Fatalf("waits %v, want %v", got, tc.waits)
				}
			}
		})
	}
}

// TestScheduleFromConfig reads the options through the scopes, with
// Momentum's fallback, and reports malformed values with their position.
func TestScheduleFromConfig(t *testing.T) {
	cfg, err := config.Parse("t.conf", []byte(`
Retry_Interval = 600
Message_Expiration = 2d
Domain "slow.example" {
  Retry_Interval = 30m
  Max_Retry_Interval = 1h
  Max_Retries = 4
  Never_Attempt_Expired_Messages = true
}
Domain "none.example" { Max_Retries = none }
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := ScheduleFor(cfg, config.Scope{Domain: "SLOW.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{RetryInterval: 30 * time.Minute, MaxRetryInterval: time.Hour, MaxRetries: 4, Expiration: 48 * time.Hour, NeverAttemptExpired: true}
	if got != want {
		t.Fatalf("slow.example: %+v, want %+v", got, want)
	}
	got, _ = ScheduleFor(cfg, config.Scope{Domain: "none.example"})
	if got.MaxRetries != RetriesNone || got.RetryInterval != 600*time.Second {
		t.Fatalf("none.example: %+v", got)
	}
	got, _ = ScheduleFor(cfg, config.Scope{Domain: "other.example"})
	if got.MaxRetries != RetriesAuto || got.MaxRetryInterval != DefaultMaxRetryInterval || got.Expiration != 48*time.Hour {
		t.Fatalf("other.example: %+v", got)
	}

	for _, bad := range []struct{ conf, want string }{
		{`Max_Retries = sometimes`, "t.conf:1:1: max_retries: expected auto, none or a number of retries, found sometimes"},
		{`Domain "x" { Retry_Interval = 0 }`, "t.conf:1:14: Retry_Interval: must be longer than 0"},
		{`Domain "x" { Max_Retries = -1 }`, "t.conf:1:14: max_retries: expected auto, none or a number of retries, found -1"},
		{`Message_Expiration = soon`, "t.conf:1:1: Message_Expiration: expected a duration"},
		{`Never_Retry = perhaps`, "t.conf:1:1: Never_Retry: expected a boolean"},
	} {
		cfg, err := config.Parse("t.conf", []byte(bad.conf))
		if err != nil {
			t.Fatal(err)
		}
		err = CheckConfig(cfg)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error containing %q", bad.conf, err, bad.want)
		}
	}
}
