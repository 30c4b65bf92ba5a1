package spool

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
)

// Options the spool reads, with Momentum's names, defaults and scopes
// (binding, binding_group, domain and global for each; conf.ref.*).
const (
	// OptRetryInterval is the base of the exponential back-off: the n-th
	// retry comes Retry_Interval × 2^(n-1) after the failure before it.
	OptRetryInterval = "retry_interval"
	// OptMaxRetryInterval caps the back-off, except under Max_Retries auto.
	OptMaxRetryInterval = "max_retry_interval"
	// OptMaxRetries is auto (the retries the back-off fits into
	// Message_Expiration), none (until expiry) or a number of retries.
	OptMaxRetries = "max_retries"
	// OptMessageExpiration is how long a message may stay undelivered.
	OptMessageExpiration = "message_expiration"
	// OptNeverRetry fails a message at its first temporary failure.
	OptNeverRetry = "never_retry"
	// OptNeverAttemptExpiredMessages fails an expired message without a
	// last attempt.
	OptNeverAttemptExpiredMessages = "never_attempt_expired_messages"
)

func init() {
	for _, o := range []config.OptionSpec{
		{Name: "Retry_Interval", Type: config.DurationType, Default: "1200",
			Help: "base of the retry back-off: the n-th retry comes Retry_Interval × 2^(n-1) after the failure before it"},
		{Name: "Max_Retry_Interval", Type: config.DurationType, Default: "43200",
			Help: "caps the back-off, except under Max_Retries = auto"},
		{Name: "Max_Retries", Type: config.StringType, Default: "auto",
			Help: "auto (the retries the back-off fits in Message_Expiration), none (until expiry) or a number of retries"},
		{Name: "Message_Expiration", Type: config.DurationType, Default: "86400",
			Help: "a message still undelivered this long after it was queued fails and bounces"},
		{Name: "Never_Retry", Type: config.BoolType, Default: "false",
			Help: "fail a message at its first temporary failure"},
		{Name: "Never_Attempt_Expired_Messages", Type: config.BoolType, Default: "false",
			Help: "fail an expired message without a last delivery attempt"},
	} {
		o.Scopes = config.Fallback
		config.Declare(o)
	}
}

// Defaults, as Momentum documents them.
const (
	DefaultRetryInterval     = 1200 * time.Second
	DefaultMaxRetryInterval  = 43200 * time.Second
	DefaultMessageExpiration = 86400 * time.Second
)

// MaxRetries values other than a count.
const (
	RetriesAuto = -1 // derived from Message_Expiration
	RetriesNone = -2 // no limit but expiry
)

// Schedule is the retry policy of one message, read from the config scopes
// of its destination when it fails.
type Schedule struct {
	RetryInterval       time.Duration
	MaxRetryInterval    time.Duration
	MaxRetries          int // a count, RetriesAuto or RetriesNone
	Expiration          time.Duration
	NeverRetry          bool
	NeverAttemptExpired bool
}

// DefaultSchedule is the schedule without any config.
var DefaultSchedule = Schedule{
	RetryInterval:    DefaultRetryInterval,
	MaxRetryInterval: DefaultMaxRetryInterval,
	MaxRetries:       RetriesAuto,
	Expiration:       DefaultMessageExpiration,
}

// ScheduleFor reads the schedule of a message routed to s from cfg, with
// Momentum's scope fallback. A malformed value is an error naming where it
// was set; CheckConfig reports those when the config is loaded.
func ScheduleFor(cfg *config.Config, s config.Scope) (Schedule, error) {
	sc := DefaultSchedule
	if cfg == nil {
		return sc, nil
	}
	var errs []error
	dur := func(name string, dst *time.Duration) {
		if v, ok := cfg.Eval(s, name); ok {
			d, err := positiveDuration(name, v)
			if err != nil {
				errs = append(errs, err)
				return
			}
			*dst = d
		}
	}
	dur(OptRetryInterval, &sc.RetryInterval)
	dur(OptMaxRetryInterval, &sc.MaxRetryInterval)
	dur(OptMessageExpiration, &sc.Expiration)
	if v, ok := cfg.Eval(s, OptMaxRetries); ok {
		n, err := maxRetries(v)
		if err != nil {
			errs = append(errs, err)
		} else {
			sc.MaxRetries = n
		}
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{OptNeverRetry, &sc.NeverRetry}, {OptNeverAttemptExpiredMessages, &sc.NeverAttemptExpired}} {
		if v, ok := cfg.Eval(s, b.name); ok {
			x, err := v.Bool()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			*b.dst = x
		}
	}
	if len(errs) > 0 {
		return DefaultSchedule, errs[0]
	}
	return sc, nil
}

func positiveDuration(name string, v config.Value) (time.Duration, error) {
	d, err := v.Duration()
	if err == nil && d <= 0 {
		return 0, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: must be longer than 0, found %q", name, v.String())}
	}
	return d, err
}

func maxRetries(v config.Value) (int, error) {
	switch s := strings.ToLower(strings.TrimSpace(v.String())); s {
	case "auto":
		return RetriesAuto, nil
	case "none":
		return RetriesNone, nil
	default:
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || v.Kind() != config.Scalar {
			return 0, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("max_retries: expected auto, none or a number of retries, found %s", v.String())}
		}
		return n, nil
	}
}

// CheckConfig reports the first malformed retry option anywhere in cfg,
// with where it was set, so a bad value fails the load rather than the
// first delivery that reads it.
func CheckConfig(cfg *config.Config) error {
	var first error
	var walk func(n *config.Node)
	walk = func(n *config.Node) {
		for _, o := range n.Options {
			if first != nil {
				return
			}
			var err error
			switch strings.ToLower(o.Name) {
			case OptRetryInterval, OptMaxRetryInterval, OptMessageExpiration:
				_, err = positiveDuration(o.Name, o.Value)
			case OptMaxRetries:
				_, err = maxRetries(o.Value)
			case OptNeverRetry, OptNeverAttemptExpiredMessages:
				_, err = o.Value.Bool()
			}
			first = err
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(cfg.Root())
	return first
}

// retryLimit is the number of retries allowed: Max_Retries itself, or under
// auto the retries whose back-off (uncapped, as Momentum computes it) fits
// in Message_Expiration; -1 means no limit.
func (s Schedule) retryLimit() int {
	switch {
	case s.NeverRetry:
		return 0
	case s.MaxRetries == RetriesNone:
		return -1
	case s.MaxRetries >= 0:
		return s.MaxRetries
	}
	n, total, step := 0, time.Duration(0), s.RetryInterval
	for step > 0 && total+step <= s.Expiration {
		total += step
		n++
		step *= 2
	}
	return n
}

// interval is the wait before retry n (n ≥ 1): Retry_Interval doubled n-1
// times, capped by Max_Retry_Interval unless Max_Retries is auto.
func (s Schedule) interval(n int) time.Duration {
	d := s.RetryInterval
	for i := 1; i < n; i++ {
		if d > s.Expiration && d > s.MaxRetryInterval {
			break // already past anything that matters; avoid overflow
		}
		d *= 2
	}
	if s.MaxRetries != RetriesAuto && d > s.MaxRetryInterval {
		d = s.MaxRetryInterval
	}
	return d
}

// next decides what follows a temporary failure: the time of the next
// attempt, or ok false when the message must fail now (retries exhausted
// or expired). attempts counts the attempts made, this one included.
func (s Schedule) next(created, now time.Time, attempts int) (at time.Time, ok bool) {
	expiry := created.Add(s.Expiration)
	retries := attempts - 1 // retries already made
	if limit := s.retryLimit(); limit >= 0 && retries >= limit {
		return time.Time{}, false
	}
	if !now.Before(expiry) {
		return time.Time{}, false
	}
	at = now.Add(s.interval(retries + 1))
	if at.After(expiry) {
		// A last attempt when the message expires, rather than none.
		at = expiry
	}
	return at, true
}

// expired reports whether a message created at created has outlived the
// schedule's expiration.
func (s Schedule) expired(created, now time.Time) bool {
	return !now.Before(created.Add(s.Expiration))
}
