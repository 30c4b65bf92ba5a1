// Package riak is the mstore backend that keeps records in a Riak KV
// cluster, as Momentum's mstore module does: the record of (bucket, msgid)
// is the Riak object /buckets/<bucket>/keys/<msgid>, its value the encoded
// record (../FORMAT.md).
//
// Servers are given as Momentum's config lists them: "host:8098" speaks the
// HTTP API, "pb://host:8087" the Protocol Buffers API (through
// github.com/basho/riak-go-client). Each request goes to a server picked at
// random; a server that fails is skipped for a backoff that doubles per
// consecutive outage, and the request moves on to the next server. A
// server fails when it cannot be reached, times out on a read, or answers
// with server trouble: HTTP 5xx, a 404 that is not Riak's own not-found (a
// starting node's HTTP listener answers webmachine's HTML 404 for every
// path until the KV routes exist; Riak's own is text/plain "not found"),
// or a PB error saying overload, timeout, too few replicas, or "Unknown
// message code: N" (a starting node whose KV services are not registered
// yet). An answer about the request itself (Riak's too-large refusal,
// HTTP 500 "{too_large,N}" or the PB errmsg "{too_large,N}", a bad vclock,
// an unexpected 406) goes back to the caller and leaves the server in use.
// Requests failing together count as one outage, and an answer to a
// request sent before the outage does not end it.
//
// A write that went out whole but got no answer (timed out, connection
// closed, or Riak's own "timeout" on a put or delete) may have been stored:
// its error wraps ErrOutcomeUnknown, and the server is not counted as
// failed for it. A save then tries the next server, since storing the same
// record twice is harmless; a delete reports it.
//
// Time limits: connecting to a server has ConnectTimeout; an answer must
// start within Timeout of the request going out, and a transfer of n bytes
// (a record saved, or a value loaded over HTTP, whose size its headers
// give) is allowed n/TransferRate more. A PB load does not know its size
// before it arrives and riak-go-client puts one deadline on the whole
// answer, so it is allowed Timeout plus Riak's default max_object_size
// (50 MiB) at TransferRate.
//
// riak-go-client logs to stderr through its own loggers, which have no
// setter. This package keeps it from logging in practice: it dials a PB
// server itself before handing it to the client (an unreachable server is
// reported from that dial, through the pool's slog warning), and on any
// connection failure it stops that client and starts a fresh one at the
// next request, so the client's own health check, which logs two lines
// every interval while a server is down, never runs. What remains is an
// "[ERROR] [Connection] error when dialing" line and the client's echo of
// it when the client itself must open an extra connection (concurrent
// requests) just as the server goes away; RIAK_GO_CLIENT_DEBUG in the
// environment turns on its debug lines.
//
// Writes read first: Save and Delete fetch the object's head (vclock and
// metadata, no value) and send the vclock back, so an overwrite or delete
// supersedes every sibling it saw instead of adding one. A deleted key
// whose tombstone is not yet reaped counts: its vclock is fetched (HTTP 404
// with X-Riak-Vclock, PB deletedvclock) and sent with the next save.
//
// Siblings (HTTP 300 Multiple Choices, or several contents over PB) are
// resolved deterministically: tombstones, values that do not decode and
// expired records are dropped, and of the rest the record with the latest
// Created wins, ties going to the later Expires and then to the greater
// encoded bytes. Delete judges by the same rule whether there was a live
// record to delete. The choice is logged at warning level; the next Save or Delete of
// the key carries the vclock that covers all siblings and so clears them.
//
// Durability: Save returns when Riak acknowledges the put, which by Riak's
// meaning of "durable" (the dw quorum) is when dw replicas handed it to
// their storage backend, not when it reached the disk. Riak's defaults (dw
// quorum, bitcask sync_strategy none) can lose an acknowledged record to a
// power loss; ../FORMAT.md says which settings make Save durable (dw all,
// bitcask o_sync or leveldb sync_on_write).
//
// Retention: the record carries its Expires (and a copy in the user
// metadata "mstore-expires", Unix nanoseconds), and this package never
// returns an expired record, nor reports one deleted. Removing expired
// objects from disk is left to the cluster: configure the backend's
// expiry (bitcask "expiry", or leveldb "expiration") to at least the
// mstore retention (14 days by default). The Store is not an mstore.Sweeper:
// a sweep without secondary indexes would need a key listing, which Riak
// warns against in production.
package riak

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/mstore"
)

var _ mstore.Store = (*Store)(nil)

// contentType is the content type of stored records.
const contentType = "application/octet-stream"

// metaExpires is the user metadata key holding the record's expiry.
const metaExpires = "mstore-expires"

// Options configure a Store. The zero value is the production default.
type Options struct {
	// Retention applies to records saved with a zero Expires; zero means
	// mstore.DefaultRetention.
	Retention time.Duration
	// Now is the clock expiry is judged by; nil means time.Now.
	Now func() time.Time
	// Logger receives sibling resolutions and server failures; nil means
	// slog.Default().
	Logger *slog.Logger
	// Timeout bounds the wait for a server's answer to start once the
	// request went out; zero means five seconds.
	Timeout time.Duration
	// ConnectTimeout bounds connecting to a server; zero means two seconds.
	ConnectTimeout time.Duration
	// TransferRate is the slowest rate, in bytes per second, a record may
	// move at: sending or receiving n bytes is allowed n/TransferRate on
	// top of Timeout. Zero means DefaultTransferRate.
	TransferRate int
	// Backoff is how long a failed server is skipped after its first
	// failure, doubling per consecutive failure up to MaxBackoff; zero
	// means one second and thirty seconds.
	Backoff, MaxBackoff time.Duration
}

// DefaultTransferRate is the TransferRate of zero Options: 1 MiB/s, so a
// 49 MiB record, near Riak's default max_object_size, has 49 s beyond
// Timeout.
const DefaultTransferRate = 1 << 20

// riakMaxObject is Riak's default max_object_size ("50MB"), the largest
// value a load can bring back unless the cluster raised it.
const riakMaxObject = 50 << 20

// ErrOutcomeUnknown is mstore.ErrOutcomeUnknown: a write sent to a server
// that did not answer may or may not have been stored.
var ErrOutcomeUnknown = mstore.ErrOutcomeUnknown

// Store is the Riak backend.
type Store struct {
	pool      *pool
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// Open returns a Store over servers ("host:port" for HTTP, "pb://host:port"
// for Protocol Buffers). It does not contact them: an unreachable cluster
// shows in the first call's error.
func Open(servers []string, opts Options) (*Store, error) {
	if len(servers) == 0 {
		return nil, errors.New("opening riak mstore: no servers configured")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 2 * time.Second
	}
	if opts.TransferRate <= 0 {
		opts.TransferRate = DefaultTransferRate
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	lim := limits{connect: opts.ConnectTimeout, answer: opts.Timeout, rate: opts.TransferRate}
	eps := make([]endpoint, 0, len(servers))
	for _, s := range servers {
		var ep endpoint
		var err error
		if addr, ok := strings.CutPrefix(s, "pb://"); ok {
			ep, err = newPBEndpoint(addr, lim)
		} else {
			ep, err = newHTTPEndpoint(s, lim)
		}
		if err != nil {
			for _, e := range eps {
				e.close()
			}
			return nil, fmt.Errorf("opening riak mstore: server %q: %w", s, err)
		}
		eps = append(eps, ep)
	}
	return &Store{
		pool:      newPool(eps, opts.Backoff, opts.MaxBackoff, opts.Logger),
		retention: opts.Retention,
		now:       opts.Now,
		log:       opts.Logger,
	}, nil
}

// Save stores r; it returns once Riak acknowledged the write with the
// bucket's w and dw quorums (see the package doc on durability). A zero Created is set to now, a zero Expires to
// now plus the retention; the caller's record is not modified.
func (s *Store) Save(ctx context.Context, r *mstore.Record) error {
	if err := mstore.PrecheckSave(ctx, "riak", r); err != nil {
		return err
	}
	rec := mstore.Stamp(r, s.now(), s.retention)
	val, err := mstore.Encode(&rec)
	if err != nil {
		return &mstore.Error{Op: "save", Key: r.Key, Backend: "riak", Err: err}
	}
	v := value{data: val, expires: mstore.ExpiryNanos(rec.Expires)}
	return s.do(ctx, "save", r.Key, true, func(ep endpoint) error {
		head, err := ep.fetch(ctx, r.Key, true)
		if err != nil {
			return err
		}
		var vclock []byte
		if head != nil {
			vclock = head.vclock
		}
		return ep.store(ctx, r.Key, vclock, v)
	})
}

// Load returns the live record under k, resolving siblings as the package
// documentation describes.
func (s *Store) Load(ctx context.Context, k mstore.Key) (*mstore.Record, error) {
	if err := mstore.Precheck(ctx, "load", "riak", k); err != nil {
		return nil, err
	}
	var obj *object
	var where string
	err := s.do(ctx, "load", k, false, func(ep endpoint) error {
		var err error
		obj, err = ep.fetch(ctx, k, false)
		where = ep.String()
		return err
	})
	if err != nil {
		return nil, err
	}
	r, err := s.resolve(k, obj, where)
	if err != nil {
		return nil, &mstore.Error{Op: "load", Key: k, Backend: "riak " + where, Err: err}
	}
	return r, nil
}

// Delete removes the object under k. An expired record is removed too but
// reported as ErrNotFound, as Load would have: Delete judges the siblings
// by the same resolution as Load.
func (s *Store) Delete(ctx context.Context, k mstore.Key) error {
	if err := mstore.Precheck(ctx, "delete", "riak", k); err != nil {
		return err
	}
	return s.do(ctx, "delete", k, false, func(ep endpoint) error {
		obj, err := ep.fetch(ctx, k, true)
		if err != nil {
			return err
		}
		if obj != nil && !obj.headDecides() && !obj.hasData() {
			if obj, err = ep.fetch(ctx, k, false); err != nil {
				return err
			}
		}
		if obj == nil || !obj.hasValue() {
			return mstore.ErrNotFound
		}
		live := s.live(k, obj, ep.String())
		if err := ep.remove(ctx, k, obj.vclock); err != nil {
			return err
		}
		if !live {
			return mstore.ErrNotFound
		}
		return nil
	})
}

// Close releases the connections. Calls made afterwards return ErrClosed.
func (s *Store) Close() error {
	return s.pool.close()
}

// do runs fn on the servers as the pool picks them (moving on past an
// unanswered write when moveOn is set) and wraps any error with the
// operation, key and the server(s) it came from.
func (s *Store) do(ctx context.Context, op string, k mstore.Key, moveOn bool, fn func(endpoint) error) error {
	where, err := s.pool.do(ctx, moveOn, fn)
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		done := map[string]string{"save": "stored", "delete": "deleted"}[op]
		err = fmt.Errorf("%w: the record may or may not be %s: %w", ErrOutcomeUnknown, done, err)
	}
	return &mstore.Error{Op: op, Key: k, Backend: "riak " + where, Err: err}
}

// resolve picks the record Load returns from the object's siblings:
// tombstones, values that do not decode and records expired by the store's
// clock are dropped first; of the rest the latest Created wins, then the
// later Expires, then the greater encoded bytes, whatever order Riak listed
// them in. With nothing left it reports ErrNotFound, or the decoding error
// when an undecodable sibling might have been the live record.
func (s *Store) resolve(k mstore.Key, obj *object, where string) (*mstore.Record, error) {
	if obj == nil {
		return nil, mstore.ErrNotFound
	}
	type candidate struct {
		r    *mstore.Record
		data []byte
	}
	now := s.now()
	var cands []candidate
	var corrupt error
	expired := 0
	for _, v := range obj.values {
		if v.deleted {
			continue
		}
		r, err := mstore.Decode(k, v.data)
		switch {
		case err != nil:
			corrupt = err
		case !now.Before(r.Expires):
			expired++
		default:
			cands = append(cands, candidate{r, v.data})
		}
	}
	if len(cands) == 0 {
		if corrupt != nil {
			return nil, corrupt
		}
		return nil, mstore.ErrNotFound
	}
	best := slices.MaxFunc(cands, func(a, b candidate) int {
		return cmp.Or(a.r.Created.Compare(b.r.Created), a.r.Expires.Compare(b.r.Expires), bytes.Compare(a.data, b.data))
	})
	if len(obj.values) > 1 {
		s.log.Warn("riak siblings resolved: kept the latest created live record",
			"key", k.String(), "server", where, "siblings", len(obj.values), "expired", expired,
			"created", best.r.Created, "corrupt", corrupt)
	}
	return best.r, nil
}

// live reports whether Load would find a record in obj (a corrupt one
// counts: it is there, and deleting it is what the caller wants). A head
// with one sibling is judged by its expiry metadata, which mirrors the
// record's Expires, so a delete need not fetch the value.
func (s *Store) live(k mstore.Key, obj *object, where string) bool {
	if obj.headDecides() {
		for _, v := range obj.values {
			if !v.deleted {
				return v.expires > mstore.ExpiryNanos(s.now())
			}
		}
	}
	_, err := s.resolve(k, obj, where)
	return !errors.Is(err, mstore.ErrNotFound)
}

// object is what a server returned for a key: the vclock to send back on a
// write, and every sibling (one when there is no conflict, none or only
// tombstones for a deleted key not yet reaped).
type object struct {
	vclock []byte
	values []value
}

// noExpires marks a sibling without readable expiry metadata.
const noExpires = -1

// value is one sibling. From a head fetch, data is empty.
type value struct {
	data    []byte
	expires int64 // mstore.ExpiryNanos from metadata; noExpires when absent
	deleted bool
}

// hasValue reports whether any sibling is not a tombstone. An object
// without one is a deleted key whose tombstone Riak has not reaped yet:
// absent for Load and Delete, but its vclock must go with the next write.
func (o *object) hasValue() bool {
	for _, v := range o.values {
		if !v.deleted {
			return true
		}
	}
	return false
}

// hasData reports whether obj holds its values, as a head fetch that met
// siblings over HTTP does (the sibling list comes whole).
func (o *object) hasData() bool {
	for _, v := range o.values {
		if !v.deleted && len(v.data) > 0 {
			return true
		}
	}
	return false
}

// headDecides reports whether a head fetch says enough to resolve obj:
// at most one sibling that is not a tombstone, carrying expiry metadata.
// Several siblings need their records, as Load resolves them.
func (o *object) headDecides() bool {
	n := 0
	for _, v := range o.values {
		if !v.deleted {
			if n++; n > 1 || v.expires < 0 || len(v.data) > 0 {
				return false
			}
		}
	}
	return true
}

// parseExpires reads the "mstore-expires" metadata (mstore.ExpiryNanos of
// the record's Expires); absent or unreadable gives noExpires.
func parseExpires(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return noExpires
	}
	return n
}

// endpoint is one configured server, over HTTP or Protocol Buffers. fetch
// returns nil, nil for a missing key. Errors that mean the server is not
// usable wrap errUnavailable, so the pool moves on to another server.
type endpoint interface {
	fetch(ctx context.Context, k mstore.Key, head bool) (*object, error)
	store(ctx context.Context, k mstore.Key, vclock []byte, v value) error
	remove(ctx context.Context, k mstore.Key, vclock []byte) error
	close() error
	String() string
}

// errUnavailable marks a failure of the server rather than of the request.
var errUnavailable = errors.New("server unavailable")

type unavailableError struct{ err error }

func (e unavailableError) Error() string        { return e.err.Error() }
func (e unavailableError) Is(target error) bool { return target == errUnavailable }
func (e unavailableError) Unwrap() error        { return e.err }

func unavailable(err error) error { return unavailableError{err} }

// unansweredError is a write that went out whole and got no answer; it
// wraps ErrOutcomeUnknown.
type unansweredError struct{ err error }

func (e unansweredError) Error() string        { return e.err.Error() }
func (e unansweredError) Is(target error) bool { return target == ErrOutcomeUnknown }
func (e unansweredError) Unwrap() error        { return e.err }

func unanswered(err error) error { return unansweredError{err} }

// limits are the time limits of one server's requests (see Options).
type limits struct {
	connect, answer time.Duration
	rate            int
}

// transfer is how long n bytes may take at the slowest rate allowed.
func (l limits) transfer(n int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(l.rate)
}
