// Package riaktest is an in-process fake Riak KV cluster for tests: the
// subset of Riak's HTTP API (fetch, store, delete object; ping) and Protocol
// Buffers API (ping, server info, get, put, del) that lib/mstore/riak uses.
// It behaves as a Riak KV 3.2.0 node does, as read from that release's
// sources (basho/riak_kv riak_kv_wm_object.erl and riak_kv_pb_object.erl at
// 2713b89a, basho/riak_api riak_api_pb_server.erl at 18fa6167,
// webmachine/webmachine webmachine_decision_core.erl and webmachine_util.erl
// at 92225b82, basho/riak_pb riak_pb_kv_codec.erl at 7a5e535), odd answers
// included: each place that models one says which.
//
// A Server is one node; Join starts another node of the same cluster, so
// both serve one keyspace while each can be failing, stalled, slow or
// starting on its own. Both listeners of a node serve that keyspace. It
// models vclocks and siblings: a write carrying the object's current vclock
// replaces all siblings, any other write to an existing object adds a
// sibling when allow_mult is set and replaces the object otherwise (last
// write wins, Riak's default bucket behaviour).
//
// Deletes behave as Riak's do (docs.riak.com, "Object Deletion Reference"):
// a delete writes a tombstone (an empty value marked deleted) under a new
// vclock, as a write would, so a delete carrying a stale vclock leaves the
// tombstone beside the live siblings when allow_mult is set. An object whose
// siblings are all tombstones reads as not found, but a fetch still returns
// its vclock (HTTP: a 404 carrying X-Riak-Vclock; PB: an RpbGetResp with
// only a vclock when the request sets deletedvclock), so a write can
// supersede it. It is reaped, and forgotten, after the delete_mode delay:
// three seconds by default, set with DeleteMode.
package riaktest

import (
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Phase is how far a node is into starting.
type Phase int

const (
	// Running serves every request.
	Running Phase = iota
	// APIStarting models a node whose riak_api application is up but has
	// not registered even its own PB services: riak_api_app starts its
	// listeners before it registers ping (1) and server info (7), so every
	// PB message is answered "Unknown message code: N"
	// (riak_api_pb_server:connected/2). The HTTP listener has no KV routes
	// yet, so webmachine answers every path with its HTML 404
	// (webmachine_mochiweb:loop/2, no_dispatch_match, rendered by
	// webmachine_error_handler).
	APIStarting
	// KVStarting models the longer stretch after riak_api registered its
	// services and before riak_kv registered its own: ping and server info
	// are answered, get, put and del (9, 11, 13) are unknown message codes,
	// and HTTP still answers the HTML 404.
	KVStarting
)

// cluster is what the nodes of one fake cluster share: the keyspace and
// the properties that apply to it.
type cluster struct {
	mu        sync.Mutex
	objects   map[location]*object
	clock     uint64        // source of vclocks and vtags
	reap      time.Duration // delete_mode: tombstone lifetime, negative keeps them
	maxSize   int           // max_object_size, 0 for no limit
	allowMult bool
}

// Server is one node of a fake Riak cluster, with an HTTP and a PB
// listener.
type Server struct {
	c *cluster

	mu         sync.Mutex
	fail       int // answer this many more requests as overloaded
	stall      time.Duration
	writeDelay time.Duration
	phase      Phase
	rate       int // bytes per second a body moves at, 0 for no limit

	httpLn, pbLn net.Listener
	httpSrv      *http.Server
	conns        sync.WaitGroup
	pbMu         sync.Mutex
	pbConns      map[net.Conn]struct{}
	requests     atomic.Int64
	writes       atomic.Int64
	gzipped      atomic.Int64
}

type location struct{ bucket, key string }

type object struct {
	vclock    []byte
	siblings  []*sibling
	deletedAt time.Time // when the last live sibling was deleted
}

// dead reports an object whose siblings are all tombstones.
func (o *object) dead() bool {
	for _, sb := range o.siblings {
		if !sb.deleted {
			return false
		}
	}
	return true
}

// optional is a metadata string that may be absent, as Riak's metadata
// dictionary tells an absent charset from an empty one.
type optional struct {
	v   string
	set bool
}

// pair is one user metadata entry under the name its writer gave it:
// Riak keeps the name as it came, so one written over HTTP is named
// "X-Riak-Meta-<name>" (riak_kv_wm_object:extract_user_meta/1 keeps the
// whole header) and one written over PB is named as the client sent it.
type pair struct{ key, value string }

type sibling struct {
	value       []byte
	contentType string
	// charset and encoding are present when the writer gave them, empty
	// or not: riak_pb_kv_codec stores a PB content's charset and
	// content_encoding whenever the fields are present, and riak-go-client
	// always sends them, empty unless set.
	charset, encoding optional
	meta              []pair
	vtag              string
	lastMod           time.Time
	deleted           bool
}

// Start starts a one-node cluster on loopback ports and stops it when t
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return startNode(t, &cluster{objects: map[location]*object{}, reap: 3 * time.Second})
}

// Join starts another node of s's cluster: it serves the same keyspace,
// with its own listeners and its own failures, stalls, rate and phase.
func (s *Server) Join(t testing.TB) *Server {
	t.Helper()
	return startNode(t, s.c)
}

func startNode(t testing.TB, c *cluster) *Server {
	s := &Server{c: c, pbConns: map[net.Conn]struct{}{}}
	if err := s.listen("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *Server) listen(httpAddr, pbAddr string) error {
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return err
	}
	pl, err := net.Listen("tcp", pbAddr)
	if err != nil {
		hl.Close()
		return err
	}
	s.httpLn, s.pbLn = hl, pl
	s.httpSrv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP)}
	go s.httpSrv.Serve(hl)
	s.conns.Go(func() { s.servePB(pl) })
	return nil
}

// Restart stops the node, dropping every connection, and starts it again
// on the same addresses in phase p, as a node restart does; the cluster
// keeps its data.
func (s *Server) Restart(t testing.TB, p Phase) {
	t.Helper()
	httpAddr, pbAddr := s.httpLn.Addr().String(), s.pbLn.Addr().String()
	s.Close()
	s.SetPhase(p)
	var err error
	for range 50 {
		if err = s.listen(httpAddr, pbAddr); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("restarting the fake Riak node: %v", err)
}

// HTTPAddr is the HTTP listener's host:port, as mstore config names it.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// PBAddr is the PB listener as mstore config names it: pb://host:port.
func (s *Server) PBAddr() string { return "pb://" + s.pbLn.Addr().String() }

// Close stops both listeners and drops every connection.
func (s *Server) Close() {
	s.httpSrv.Close()
	s.pbLn.Close()
	s.pbMu.Lock()
	for c := range s.pbConns {
		c.Close()
	}
	s.pbMu.Unlock()
	s.conns.Wait()
}

// Fail makes the next n requests to this node, on either protocol, fail as
// an overloaded Riak's do: its get and put FSMs answer {error, overload},
// which the HTTP API turns into a 500 with "Error:\noverload\n" (the
// catch-all clause of riak_kv_wm_object:handle_common_error/3) and the PB
// API into the errmsg "overload".
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Stall delays every request to this node by d before it is carried out,
// as a node that is frozen (or swapping) does.
func (s *Server) Stall(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = d
}

// DelayWrites carries out every write (store or delete) sent to this node
// and then holds its answer back for d, as a node that freezes right after
// it stored a write does: the write is there, the client hears nothing.
func (s *Server) DelayWrites(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeDelay = d
}

// Throttle makes request and answer bodies (HTTP) and messages (PB) move
// at bytesPerSecond, as a slow link or a node busy with large objects
// does; 0 lifts the limit.
func (s *Server) Throttle(bytesPerSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = bytesPerSecond
}

func (s *Server) currentRate() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate
}

// SetPhase puts the node in a phase of starting, or back to Running.
func (s *Server) SetPhase(p Phase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = p
}

// AllowMult sets the allow_mult bucket property of every bucket in the
// cluster: with it, conflicting writes create siblings.
func (s *Server) AllowMult(on bool) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.allowMult = on
}

// DeleteMode sets how long a tombstone outlives its delete before it is
// reaped, as Riak's delete_mode does: 0 is "immediate", a negative d is
// "keep". The default is Riak's: three seconds.
func (s *Server) DeleteMode(d time.Duration) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.reap = d
}

// MaxObjectSize makes the cluster refuse writes of objects whose encoded
// size (see encodedSize) passes n bytes, as Riak's max_object_size does;
// 0 lifts it.
func (s *Server) MaxObjectSize(n int) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.maxSize = n
}

// Requests counts the requests this node served on both protocols.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Writes counts the stores and deletes this node received on both
// protocols, refused ones included.
func (s *Server) Writes() int64 { return s.writes.Load() }

// GzipAnswers counts the HTTP answers this node sent gzip-encoded.
func (s *Server) GzipAnswers() int64 { return s.gzipped.Load() }

// Siblings returns how many siblings (tombstones included) the object has.
func (s *Server) Siblings(bucket, key string) int {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if o := s.c.lookup(location{bucket, key}); o != nil {
		return len(o.siblings)
	}
	return 0
}

// AddSibling adds a sibling to the object as a concurrent PB writer would,
// creating the object if needed; meta's names are kept as given.
func (s *Server) AddSibling(bucket, key string, value []byte, meta map[string]string, deleted bool) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	loc := location{bucket, key}
	o := c.lookup(loc)
	if o == nil {
		o = &object{}
		c.objects[loc] = o
	}
	names := make([]string, 0, len(meta))
	for k := range meta {
		names = append(names, k)
	}
	sort.Strings(names)
	sb := c.newSibling(value, "application/octet-stream", deleted)
	for _, k := range names {
		sb.meta = append(sb.meta, pair{k, meta[k]})
	}
	o.siblings = append(o.siblings, sb)
	o.vclock = c.nextVclock()
	if o.dead() {
		o.deletedAt = time.Now()
	}
}

// node is a snapshot of the node's settings for one request.
type node struct {
	fail       bool
	phase      Phase
	rate       int
	writeDelay time.Duration
}

// admit counts a request, applies the stall and returns the settings the
// request is served under.
func (s *Server) admit() node {
	s.requests.Add(1)
	s.mu.Lock()
	n := node{phase: s.phase, rate: s.rate, writeDelay: s.writeDelay}
	stall := s.stall
	if s.fail > 0 && n.phase == Running {
		s.fail--
		n.fail = true
	}
	s.mu.Unlock()
	time.Sleep(stall)
	return n
}

// lookup returns the object at loc, first reaping it if it is a tombstone
// past the delete_mode delay. The caller holds c.mu.
func (c *cluster) lookup(loc location) *object {
	o := c.objects[loc]
	if o != nil && o.dead() && c.reap >= 0 && !time.Now().Before(o.deletedAt.Add(c.reap)) {
		delete(c.objects, loc)
		return nil
	}
	return o
}

func (c *cluster) nextVclock() []byte {
	c.clock++
	return []byte("fake-vclock-" + strconv.FormatUint(c.clock, 10))
}

func (c *cluster) newSibling(value []byte, ct string, deleted bool) *sibling {
	return c.stamp(&sibling{value: value, contentType: ct, deleted: deleted})
}

// stamp gives sb its vtag and last-modified time, as a write does.
func (c *cluster) stamp(sb *sibling) *sibling {
	c.clock++
	sb.vtag, sb.lastMod = "vtag"+strconv.FormatUint(c.clock, 36), time.Now()
	return sb
}

// get returns the object's vclock and siblings, tombstones included;
// found is false when there is no object or only tombstones, whose vclock
// is still returned until they are reaped.
func (c *cluster) get(loc location) (vclock []byte, sibs []*sibling, found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.lookup(loc)
	if o == nil {
		return nil, nil, false
	}
	if o.dead() {
		return o.vclock, nil, false
	}
	return o.vclock, append([]*sibling(nil), o.siblings...), true
}

// encodedSize is the size Riak checks against max_object_size: that of
// the whole encoded object (riak_object:to_binary/2 in
// riak_kv_vnode:encode_and_put_no_sib_check/8), value, metadata and
// vclock, so a little more than the value. The overhead here is an
// estimate of that encoding's.
func encodedSize(sb *sibling, vclock []byte) int {
	n := len(sb.value) + len(sb.contentType) + len(sb.charset.v) + len(sb.encoding.v) + len(vclock) + 64
	for _, p := range sb.meta {
		n += len(p.key) + len(p.value) + 8
	}
	return n
}

// tooLarge is a write refused past max_object_size: the vnode answers
// {error, {too_large, Size}}.
type tooLarge struct{ size int }

// Error is the reason as Erlang's ~p prints it, which both APIs pass on.
func (e tooLarge) Error() string { return "{too_large," + strconv.Itoa(e.size) + "}" }

// put stores sb. A write carrying the current vclock supersedes every
// sibling, tombstones included; otherwise it is concurrent with them.
func (c *cluster) put(loc location, vclock []byte, sb *sibling) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := encodedSize(sb, vclock); c.maxSize > 0 && n > c.maxSize {
		return tooLarge{n}
	}
	c.write(loc, vclock, c.stamp(sb))
	return nil
}

// write adds sb to the object at loc as a write carrying vclock does.
func (c *cluster) write(loc location, vclock []byte, sb *sibling) {
	o := c.lookup(loc)
	switch {
	case o == nil:
		o = &object{}
		c.objects[loc] = o
		o.siblings = []*sibling{sb}
	case string(vclock) == string(o.vclock) || !c.allowMult:
		o.siblings = []*sibling{sb}
	default:
		o.siblings = append(o.siblings, sb)
	}
	o.vclock = c.nextVclock()
	if o.dead() {
		o.deletedAt = time.Now()
	}
}

// del writes a tombstone over the object; found reports whether it had a
// live sibling. Without a vclock the delete covers the current object, as
// Riak's does (it reads the vclock first); with a stale one it is a
// concurrent write like any other.
func (c *cluster) del(loc location, vclock []byte) (found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.lookup(loc)
	if o == nil || o.dead() {
		return false
	}
	if vclock == nil {
		vclock = o.vclock
	}
	c.write(loc, vclock, c.newSibling(nil, "", true))
	return true
}

// pace sleeps as long as moving n bytes takes at rate bytes per second.
func pace(n, rate int) {
	if rate > 0 && n > 0 {
		time.Sleep(time.Duration(int64(n) * int64(time.Second) / int64(rate)))
	}
}
