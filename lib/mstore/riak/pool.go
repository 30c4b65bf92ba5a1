package riak

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"msyshost/lib/mstore"
)

// pool picks servers: live ones in random order; a failed one is skipped
// until its backoff ends. When every live server failed, or none is live,
// the server whose backoff ends first is tried once more, so a request is
// never refused without contacting anything.
type pool struct {
	backoff, maxBackoff time.Duration
	log                 *slog.Logger

	mu      sync.Mutex
	closed  bool
	servers []*server
}

type server struct {
	ep        endpoint
	failures  int       // consecutive outages, each counted once
	failedAt  time.Time // when the current outage was counted
	downUntil time.Time
}

func newPool(eps []endpoint, backoff, maxBackoff time.Duration, log *slog.Logger) *pool {
	p := &pool{backoff: backoff, maxBackoff: maxBackoff, log: log}
	for _, ep := range eps {
		p.servers = append(p.servers, &server{ep: ep})
	}
	return p
}

// do runs fn against servers until one answers. It returns the server that
// gave the final answer, or every server tried when none did.
//
// An unanswered write (an error wrapping ErrOutcomeUnknown) says nothing
// about the server, which may only be slow: it is neither counted as a
// failure nor as an answer. With moveOn the request goes on to the next
// server, as a save may (storing the same record again is harmless);
// without it the unanswered write is the result, as for a delete, which
// a second try would misreport as not found.
func (p *pool) do(ctx context.Context, moveOn bool, fn func(endpoint) error) (where string, err error) {
	live, spare, err := p.pick()
	if err != nil {
		return p.names(), err
	}
	var tried []string
	var errs []error
	// result is the final answer of s, joined with the failures before it
	// when one of them was an unanswered write: the record may be stored
	// even though the last server refused it.
	result := func(s *server, err error) (string, error) {
		if err == nil || !slices.ContainsFunc(errs, func(e error) bool { return errors.Is(e, ErrOutcomeUnknown) }) {
			return s.ep.String(), err
		}
		tried, errs = append(tried, s.ep.String()), append(errs, err)
		return strings.Join(tried, ","), serversError{tried, errs}
	}
	attempt := func(s *server) (bool, error) {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		start := time.Now()
		err := fn(s.ep)
		if err != nil && p.isClosed() {
			return true, fmt.Errorf("%w while the request was in flight: %w", mstore.ErrClosed, err)
		}
		if ctx.Err() != nil {
			// The caller gave up: that says nothing about the server.
			return true, err
		}
		switch {
		case errors.Is(err, ErrOutcomeUnknown):
			if !moveOn {
				return true, err
			}
		case err == nil || !errors.Is(err, errUnavailable):
			p.succeeded(s, start)
			return true, err
		default:
			p.failed(s, err)
		}
		tried = append(tried, s.ep.String())
		errs = append(errs, err)
		return false, nil
	}
	for _, s := range live {
		if done, err := attempt(s); done {
			return result(s, err)
		}
	}
	if spare != nil {
		if done, err := attempt(spare); done {
			return result(spare, err)
		}
	}
	if len(errs) == 1 {
		return tried[0], errs[0]
	}
	return strings.Join(tried, ","), serversError{tried, errs}
}

// serversError is the failure of every server a request tried: one line,
// "server: error" per server joined by "; ", as a log line wants it.
type serversError struct {
	servers []string
	errs    []error
}

func (e serversError) Error() string {
	var b strings.Builder
	for i, err := range e.errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.servers[i] + ": " + err.Error())
	}
	return b.String()
}

func (e serversError) Unwrap() []error { return e.errs }

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// names lists every configured server, for errors not tied to one.
func (p *pool) names() string {
	names := make([]string, len(p.servers))
	for i, s := range p.servers {
		names[i] = s.ep.String()
	}
	return strings.Join(names, ",")
}

func (p *pool) pick() (live []*server, spare *server, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, mstore.ErrClosed
	}
	now := time.Now()
	var down []*server
	for _, s := range p.servers {
		if now.Before(s.downUntil) {
			down = append(down, s)
		} else {
			live = append(live, s)
		}
	}
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	if len(down) > 0 {
		spare = slices.MinFunc(down, func(a, b *server) int { return a.downUntil.Compare(b.downUntil) })
	}
	return live, spare, nil
}

// succeeded records an answer from s to a request sent at start. An answer
// to a request sent before the current outage was counted does not end it:
// it may have been served just before the server went away.
func (p *pool) succeeded(s *server, start time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if start.Before(s.failedAt) {
		return
	}
	if s.failures > 0 {
		p.log.Info("riak server is back", "server", s.ep.String(), "after_failures", s.failures)
	}
	s.failures, s.downUntil = 0, time.Time{}
}

// failed records a failure of s. Requests in flight when a server goes away
// all fail; they are one outage, so only the first failure counts and the
// backoff grows only when the server fails again after its backoff ended.
func (p *pool) failed(s *server, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Before(s.downUntil) {
		return
	}
	s.failures++
	d := p.backoff << min(s.failures-1, 20)
	if d <= 0 || d > p.maxBackoff {
		d = p.maxBackoff
	}
	s.failedAt, s.downUntil = now, now.Add(d)
	p.log.Warn("riak server failed, skipping it", "server", s.ep.String(), "for", d, "failures", s.failures, "err", err)
}

func (p *pool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, s := range p.servers {
		if err := s.ep.close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s: %w", s.ep, err))
		}
	}
	return errors.Join(errs...)
}
