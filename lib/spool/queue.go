package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/groupcommit"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

var _ Injector = (*Spool)(nil)

// Bucket names of the file layout (FORMAT.md, "File layout").
var (
	bucketMessages = []byte("messages")
	bucketContent  = []byte("content")
	bucketDue      = []byte("due")
	bucketMeta     = []byte("meta")
	keyLayout      = []byte("layout")
	keyEpoch       = []byte("epoch")
)

// layoutVersion is the version of the bucket layout, kept in meta/layout.
const layoutVersion = 1

// Options configure a Spool. The zero value serves, except that delivery
// (Start) needs a Router.
type Options struct {
	// Router takes each due message: the recipient domain's channel.
	Router channel.Channel
	// Bouncer is told of every message that fails for good (a permanent
	// failure, expiry, an operator's fail). When it also implements
	// Renderer, the bounce is queued in the transaction that removes the
	// failed message, so a crash cannot bounce it twice.
	Bouncer Bouncer
	// Config returns the config whose scopes give each message's retry
	// schedule (Retry_Interval, ...); nil means Momentum's defaults.
	Config func() *config.Config
	// Workers is the number of deliveries under way at once; default 16.
	Workers int
	// AttemptTimeout bounds one delivery attempt; default 10 minutes.
	AttemptTimeout time.Duration
	// Now is the clock schedules are judged by; nil means time.Now.
	Now func() time.Time
	// Logger receives delivery outcomes and failures; nil discards them.
	Logger *slog.Logger
	// LockTimeout is how long Open waits for another process holding the
	// file; zero means five seconds.
	LockTimeout time.Duration
}

// Renderer is a Bouncer that can build the bounce without queueing it, so
// the spool queues it together with the removal of the failed message.
// Render returns nil when no bounce is owed (bounces disabled in scope).
type Renderer interface {
	Render(ctx context.Context, b Bounce) (*message.Message, error)
}

// Spool is the durable queue: one bbolt file holding every message that
// was accepted and is not yet delivered or failed, and the delivery loop
// that hands due messages to the router.
type Spool struct {
	path     string
	db       *bolt.DB
	w        *groupcommit.Writer
	opts     Options
	log      *slog.Logger
	epoch    uint64
	seq      atomic.Uint64
	started  time.Time
	counters counters

	// mu guards busy: ids being delivered (zero time) or held back after a
	// failed state write (until the time).
	mu   sync.Mutex
	busy map[string]time.Time

	wake chan struct{}

	runMu   sync.Mutex
	run     *runState
	closeMu sync.Mutex
	closed  bool
}

type counters struct {
	received, delivered, failed atomic.Int64
}

// Open opens or creates the spool file at path.
func Open(path string, opts Options) (*Spool, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 10 * time.Minute
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 5 * time.Second
	}
	s := &Spool{path: path, opts: opts, log: opts.Logger, busy: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        opts.LockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("spool %s is locked by another process (another msyshost on the same data directory?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening spool %s: %w", path, err)
	}
	s.db = db
	if err := s.initLayout(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening spool %s: %w", path, err)
	}
	s.w = groupcommit.New(db)
	s.started = opts.Now()
	return s, nil
}

// initLayout creates the buckets and starts a new epoch: ids made by this
// process carry it, so they never repeat those of an earlier run still in
// the file.
func (s *Spool) initLayout() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMessages, bucketContent, bucketDue, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyLayout); {
		case v == nil:
			if err := meta.Put(keyLayout, []byte{layoutVersion}); err != nil {
				return err
			}
		case len(v) != 1 || v[0] != layoutVersion:
			return fmt.Errorf("unsupported spool layout %x (this build reads layout %d)", v, layoutVersion)
		}
		if v := meta.Get(keyEpoch); len(v) == 8 {
			s.epoch = binary.BigEndian.Uint64(v)
		}
		s.epoch++
		return meta.Put(keyEpoch, binary.BigEndian.AppendUint64(nil, s.epoch))
	})
}

// NewID returns a message id unique in this spool file, shaped like
// Momentum's ("53/6B-00042-0000356B"): the sequence's low bytes, the
// spool's epoch (one per Open) and the sequence number of this run.
func (s *Spool) NewID() string {
	n := s.seq.Add(1)
	return fmt.Sprintf("%02X/%02X-%05d-%08X", byte(n>>8), byte(n), s.epoch%100000, uint32(n))
}

// Path returns the spool file's path.
func (s *Spool) Path() string { return s.path }

// Inject queues m for delivery with its own envelope (spool.Injector: what
// msg:inject, msys.mstore.inject and `mstore reinstate` call).
func (s *Spool) Inject(ctx context.Context, m *message.Message) error {
	return s.Enqueue(ctx, m)
}

// Enqueue queues messages, each for its own recipient, in one transaction:
// when it returns nil every one is durable (committed and synced), and on
// an error none was queued. Each message gets a fresh id of this spool.
// A storage failure is a temporary *status.Error (452 4.3.1 for a full
// disk), so SMTP answers 4xx and the client keeps the message.
func (s *Spool) Enqueue(ctx context.Context, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	now := s.opts.Now()
	type entry struct {
		id        string
		rec, body []byte
		due       []byte
	}
	entries := make([]entry, len(msgs))
	size := 0
	for i, m := range msgs {
		if err := checkEnvelope(m); err != nil {
			return err
		}
		m.ID = s.NewID()
		raw := m.Raw()
		rec := recordOf(m, len(raw), now)
		e := entry{id: m.ID, rec: encodeRecord(rec), body: encodeContent(raw), due: dueKey(rec.Next, m.ID)}
		size += len(e.rec) + len(e.body)
		entries[i] = e
	}
	err := s.w.Do(ctx, size, func(tx *bolt.Tx) error {
		msgsB, content, due := tx.Bucket(bucketMessages), tx.Bucket(bucketContent), tx.Bucket(bucketDue)
		for _, e := range entries {
			id := []byte(e.id)
			if err := msgsB.Put(id, e.rec); err != nil {
				return err
			}
			if err := content.Put(id, e.body); err != nil {
				return err
			}
			if err := due.Put(e.due, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.storageError(fmt.Sprintf("queueing %s for <%s>", entries[0].id, msgs[0].RcptTo), err)
	}
	s.counters.received.Add(int64(len(msgs)))
	s.poke()
	return nil
}

// checkEnvelope refuses what no channel could carry.
func checkEnvelope(m *message.Message) error {
	if m.RcptTo == "" {
		return status.Permanentf(status.Spool, 554, "5.1.3", "message without a recipient")
	}
	for _, a := range []string{m.MailFrom, m.RcptTo, m.RoutingDomain} {
		if strings.ContainsAny(a, "\r\n\x00") {
			return status.Permanentf(status.Spool, 554, "5.1.3", "envelope address %q holds a line break or NUL", a)
		}
	}
	return nil
}

// storageError makes a status of a failed spool write: temporary, so the
// sender keeps the message and tries again; 452 4.3.1 when the disk is
// full, as RFC 3463 names "mail system full".
func (s *Spool) storageError(doing string, err error) error {
	e := &status.Error{Protocol: status.Spool, Temporary: true, Component: "spool " + s.path, Err: fmt.Errorf("%s: %w", doing, err)}
	switch {
	case diskFull(err):
		e.Code, e.Enhanced, e.Text = 452, "4.3.1", "insufficient system storage"
	case errors.Is(err, groupcommit.ErrClosed):
		e.Code, e.Enhanced, e.Text = 421, "4.3.2", "spool is shutting down"
	default:
		e.Code, e.Enhanced, e.Text = 451, "4.3.0", "spool write failed"
	}
	return e
}

// Close stops delivery (as Stop with no grace), commits what was accepted
// and closes the file. Enqueue fails afterwards.
func (s *Spool) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Stop(ctx)
	s.w.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing spool %s: %w", s.path, err)
	}
	return nil
}

// diskFull reports an error of a full disk or quota. bbolt formats some
// errors with %s (growing the file: "file resize error: ..."), which drops
// the errno from the chain, so its text is matched too.
func diskFull(err error) bool {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EFBIG, syscall.EDQUOT} {
		if errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error()) {
			return true
		}
	}
	return false
}

// dueKey is the key in bucket "due": big-endian next-attempt time (Unix ns,
// clamped at 0), then the id, so a cursor walks messages in due order.
func dueKey(t time.Time, id string) []byte {
	b := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(b, dueNanos(t))
	return append(b, id...)
}

func dueNanos(t time.Time) uint64 {
	n := t.UnixNano()
	if n < 0 || t.Before(time.Unix(0, 0)) {
		return 0
	}
	if t.After(time.Unix(0, math.MaxInt64)) {
		return math.MaxInt64
	}
	return uint64(n)
}

// DomainOf returns the lower-cased domain of an address, "" when it has
// none.
func DomainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

// poke wakes the delivery loop.
func (s *Spool) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
