package spool

import (
	"bytes"
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
	bucketRefs     = []byte("refs")
	bucketDue      = []byte("due")
	bucketMeta     = []byte("meta")
	keyLayout      = []byte("layout")
	keyEpoch       = []byte("epoch")
)

// layoutVersion is the version of the bucket layout, kept in meta/layout.
// Version 2 shares one content among the messages of a batch (bucket
// "refs"); a version-1 file is upgraded in place when opened, as each of
// its contents belongs to one message, which is what version 2 assumes of
// a content without a "refs" entry.
const layoutVersion = 2

// DefaultAttemptTimeout bounds one delivery attempt. It is longer than the
// SMTP channel's timeouts of one attempt add up to with their defaults
// (connect 30 s, six commands at 300 s, the final dot 600 s: 2730 s), so
// the attempt's own deadline does not cut the wait for a peer's answer to
// a message it has received in full (FORMAT.md, "Duplicates").
const DefaultAttemptTimeout = time.Hour

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
	// AttemptTimeout bounds one delivery attempt; default
	// DefaultAttemptTimeout.
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

// writer is the spool's write path, a groupcommit.Writer; tests put one
// that fails in its place to stand in for a disk that refuses writes.
type writer interface {
	Do(ctx context.Context, size int, apply func(*bolt.Tx) error) error
	Close()
}

// Spool is the durable queue: one bbolt file holding every message that
// was accepted and is not yet delivered or failed, and the delivery loop
// that hands due messages to the router.
type Spool struct {
	path     string
	db       *bolt.DB
	w        writer
	opts     Options
	log      *slog.Logger
	epoch    uint64
	seq      atomic.Uint64
	started  time.Time
	counters counters

	// mu guards the delivery state of messages by id: busy (being
	// delivered: zero time; held back until the time), claimed (an
	// operator command is changing them), unsettled (delivered or failed
	// for good, their removal not yet written), and the pause of new work
	// after a failed state write.
	mu        sync.Mutex
	busy      map[string]time.Time
	claimed   map[string]bool
	unsettled map[string]*settlement
	backoff   time.Duration
	resumeAt  time.Time

	wake chan struct{}

	// resMu guards the ids NewID reserved for messages not queued yet.
	resMu    sync.Mutex
	reserved map[string]bool
	resOrder []string

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
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	s := &Spool{path: path, opts: opts, log: opts.Logger,
		busy: map[string]time.Time{}, claimed: map[string]bool{}, unsettled: map[string]*settlement{},
		wake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	db, err := groupcommit.Open("spool", path, opts.LockTimeout)
	if err != nil {
		return nil, err
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

// initLayout creates the buckets, upgrades a version-1 layout and starts
// a new epoch: ids made by this process carry it, so they never repeat
// those of an earlier run still in the file.
func (s *Spool) initLayout() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMessages, bucketContent, bucketRefs, bucketDue, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyLayout); {
		case v == nil || len(v) == 1 && v[0] == 1:
			if err := meta.Put(keyLayout, []byte{layoutVersion}); err != nil {
				return err
			}
		case len(v) != 1 || v[0] != layoutVersion:
			return fmt.Errorf("unsupported spool layout %x (this build reads layouts 1 and %d)", v, layoutVersion)
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
// spool's epoch (one per Open) and the sequence number of this run. The
// id is reserved: the first message queued with it as its ID keeps it
// (SMTP in names it in the Received header before it queues the message).
func (s *Spool) NewID() string {
	id := s.newID()
	s.resMu.Lock()
	defer s.resMu.Unlock()
	if s.reserved == nil {
		s.reserved = map[string]bool{}
	}
	s.reserved[id] = true
	s.resOrder = append(s.resOrder, id)
	if len(s.resOrder) > 2*maxReserved {
		// Forget the oldest reservations (of transactions refused
		// after their id was made): a message queued with one of
		// those gets a fresh id instead.
		keep := s.resOrder[:0]
		for i, r := range s.resOrder {
			if !s.reserved[r] {
				continue
			}
			if len(s.resOrder)-i > maxReserved {
				delete(s.reserved, r)
				continue
			}
			keep = append(keep, r)
		}
		s.resOrder = keep
	}
	return id
}

// maxReserved bounds the ids NewID keeps reserved.
const maxReserved = 10000

func (s *Spool) newID() string {
	n := s.seq.Add(1)
	return fmt.Sprintf("%02X/%02X-%05d-%08X", byte(n>>8), byte(n), s.epoch%100000, uint32(n))
}

// claimID reports whether id is reserved, and takes it.
func (s *Spool) claimID(id string) bool {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	if !s.reserved[id] {
		return false
	}
	delete(s.reserved, id)
	return true
}

// Inject queues m for delivery with its own envelope (spool.Injector: what
// msg:inject, msys.mstore.inject and `mstore reinstate` call).
func (s *Spool) Inject(ctx context.Context, m *message.Message) error {
	return s.Enqueue(ctx, m)
}

// Enqueue queues messages, each for its own recipient, in one transaction:
// when it returns nil every one is durable (committed and synced) and has
// a fresh id of this spool; on an error none was queued and none changed.
// Messages whose contents are the same bytes (the copies of one SMTP
// transaction) share one stored content. A storage failure is a
// temporary *status.Error (452 4.3.1 for a full disk), so SMTP answers
// 4xx and the client keeps the message.
func (s *Spool) Enqueue(ctx context.Context, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	b, err := s.newBatch(msgs, s.opts.Now())
	if err != nil {
		return err
	}
	if err := s.w.Do(ctx, b.size, b.put); err != nil {
		return s.storageError(fmt.Sprintf("queueing %s for <%s>", b.recs[0].ID, msgs[0].RcptTo), err)
	}
	for i, m := range msgs {
		m.ID = b.recs[i].ID
	}
	s.counters.received.Add(int64(len(msgs)))
	s.poke()
	return nil
}

// batch is messages ready to be written: their records, and each distinct
// content once.
type batch struct {
	recs     []*record
	encs     [][]byte
	contents []batchContent
	size     int
}

type batchContent struct {
	key  string // the id of its first message
	raw  []byte
	enc  []byte
	refs int
}

// newBatch gives each message an id and its record. Contents are matched
// by their bytes: clones share the same array, so the common case costs a
// pointer comparison.
func (s *Spool) newBatch(msgs []*message.Message, now time.Time) (*batch, error) {
	for _, m := range msgs {
		if err := checkEnvelope(m); err != nil {
			return nil, err
		}
	}
	b := &batch{}
	for _, m := range msgs {
		id, raw := m.ID, m.Raw()
		if !s.claimID(id) {
			id = s.newID()
		}
		ci := -1
		for i, c := range b.contents {
			if sameBytes(c.raw, raw) {
				ci = i
				break
			}
		}
		if ci < 0 {
			b.contents = append(b.contents, batchContent{key: id, raw: raw, enc: encodeContent(raw)})
			ci = len(b.contents) - 1
			b.size += len(b.contents[ci].enc)
		}
		b.contents[ci].refs++
		rec := recordOf(m, id, b.contents[ci].key, len(raw), now)
		enc := encodeRecord(rec)
		b.recs, b.encs = append(b.recs, rec), append(b.encs, enc)
		b.size += len(enc)
	}
	return b, nil
}

func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0] || bytes.Equal(a, b))
}

// put writes the batch in tx. An id already in the file fails it: ids are
// never reused, so one found there means something else went wrong, and
// overwriting would lose a message.
func (b *batch) put(tx *bolt.Tx) error {
	msgs, content, refs, due := tx.Bucket(bucketMessages), tx.Bucket(bucketContent), tx.Bucket(bucketRefs), tx.Bucket(bucketDue)
	for _, c := range b.contents {
		key := []byte(c.key)
		if content.Get(key) != nil {
			return fmt.Errorf("content key %s is already in use", c.key)
		}
		if err := content.Put(key, c.enc); err != nil {
			return err
		}
		if c.refs > 1 {
			if err := refs.Put(key, binary.AppendUvarint(nil, uint64(c.refs))); err != nil {
				return err
			}
		}
	}
	for i, r := range b.recs {
		id := []byte(r.ID)
		if msgs.Get(id) != nil {
			return fmt.Errorf("message id %s is already in use", r.ID)
		}
		if err := msgs.Put(id, b.encs[i]); err != nil {
			return err
		}
		if err := due.Put(dueKey(r.Next, r.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// checkEnvelope refuses what no channel could carry: an address that is
// not an RFC 5321 path could smuggle a line or a parameter (SIZE=,
// NOTIFY=) into the SMTP command that carries it.
func checkEnvelope(m *message.Message) error {
	if m.RcptTo == "" {
		return status.Permanentf(status.Spool, 554, "5.1.3", "message without a recipient")
	}
	for _, a := range []struct{ what, v string }{{"sender", m.MailFrom}, {"recipient", m.RcptTo}} {
		if err := checkPath(a.v); err != nil {
			return status.Permanentf(status.Spool, 554, "5.1.3", "envelope %s %q: %v", a.what, a.v, err)
		}
	}
	if strings.ContainsFunc(m.RoutingDomain, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '>' || r == '<' }) {
		return status.Permanentf(status.Spool, 554, "5.1.3", "routing domain %q holds a space, control character or angle bracket", m.RoutingDomain)
	}
	return nil
}

// checkPath accepts what can stand between the angle brackets of MAIL
// FROM and RCPT TO (RFC 5321 4.1.2; RFC 6531 for UTF-8): no spaces, no
// control characters, no brackets; a quoted local part may hold what a
// quoted string allows, but no line break.
func checkPath(a string) error {
	quoted := false
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c < ' ' || c == 0x7f:
			return errors.New("holds a control character")
		case c == '"' && (i == 0 || a[i-1] != '\\'):
			quoted = !quoted
		case quoted:
		case c == ' ' || c == '<' || c == '>':
			return fmt.Errorf("holds %q outside a quoted local part", c)
		}
	}
	if quoted {
		return errors.New("unterminated quoted local part")
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

// poke wakes the delivery loop.
func (s *Spool) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
