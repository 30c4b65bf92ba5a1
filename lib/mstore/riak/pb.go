package riak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	riakclient "github.com/basho/riak-go-client"

	"msyshost/lib/mstore"
)

// pbEndpoint speaks Riak's Protocol Buffers API to one server through
// riak-go-client: a one-node client cluster, so that server choice and
// backoff stay with the pool and behave as they do for HTTP servers.
//
// The client cluster is replaced after any connection failure (see
// client), which keeps riak-go-client's own health check, and its stderr
// logging, from running: the endpoint checks the server with a dial of its
// own before it starts the next client.
type pbEndpoint struct {
	addr string
	lim  limits

	mu       sync.Mutex
	cur      *client       // the client in use; nil until one is started
	starting chan struct{} // closed when the start in progress ends
	startErr error         // why the last start failed
	closed   bool
}

func newPBEndpoint(addr string, lim limits) (*pbEndpoint, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	return &pbEndpoint{addr: addr, lim: lim}, nil
}

func (e *pbEndpoint) String() string { return "pb://" + e.addr }

// client is one riak-go-client cluster of one node. It is retired after a
// failure that is not a Riak error response (the connection or the node is
// in trouble) and stopped once its last command returns.
type client struct {
	cluster *riakclient.Cluster

	mu       sync.Mutex
	inflight int
	retired  bool
	stopped  bool
	cause    error // why it was retired
}

// use claims c for one command; false means it is retired.
func (c *client) use() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retired {
		return false
	}
	c.inflight++
	return true
}

// done ends a command; the last one of a retired client stops it.
func (c *client) done() {
	c.mu.Lock()
	c.inflight--
	stop := c.retired && c.inflight == 0 && !c.stopped
	c.stopped = c.stopped || stop
	c.mu.Unlock()
	if stop {
		c.cluster.Stop()
	}
}

// retire takes c out of use, stopping it now if no command is running.
func (c *client) retire(cause error) {
	c.mu.Lock()
	if c.retired {
		c.mu.Unlock()
		return
	}
	c.retired, c.cause = true, cause
	stop := c.inflight == 0 && !c.stopped
	c.stopped = c.stopped || stop
	c.mu.Unlock()
	if stop {
		c.cluster.Stop()
	}
}

func (c *client) retiredFor() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

func (e *pbEndpoint) close() error {
	e.mu.Lock()
	e.closed = true
	c := e.cur
	e.cur = nil
	e.mu.Unlock()
	if c != nil {
		c.retire(mstore.ErrClosed)
	}
	return nil
}

// client returns the client to run a command on, starting one if there is
// none: one start at a time, each waiter bounded by its own ctx.
func (e *pbEndpoint) client(ctx context.Context) (*client, error) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, mstore.ErrClosed
		}
		if c := e.cur; c != nil {
			if c.use() {
				e.mu.Unlock()
				return c, nil
			}
			e.cur = nil
		}
		wait := e.starting
		if wait == nil {
			wait = make(chan struct{})
			e.starting = wait
			go e.start(wait)
		}
		e.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		e.mu.Lock()
		err := e.startErr
		e.mu.Unlock()
		if err != nil {
			return nil, err
		}
		// Started (or closed meanwhile): the loop takes it, or says so.
	}
}

// start starts a client and publishes it, or records why it could not.
func (e *pbEndpoint) start(done chan struct{}) {
	c, err := e.newClient()
	e.mu.Lock()
	e.starting = nil
	e.startErr = err
	if c != nil && e.closed {
		c.retire(mstore.ErrClosed)
		c = nil
	}
	if c != nil {
		e.cur = c
	}
	e.mu.Unlock()
	close(done)
}

// newClient connects to the server and returns a started client, its
// first command done. Three things about riak-go-client v1.7.0 shape it:
//
//   - Its node manager's first command on a cluster, if the node does not
//     take it, spins forever (its round robin waits for a start index it
//     never sees again), so the first command must find a connection
//     ready: the server is dialed here first, which also gives an
//     unreachable server's error without the client's logging, and
//     Node.String's idle connection count ("addr|open|idle") is checked
//     after Start opened its first connection.
//   - A failed connection makes its node run a health check, logging two
//     lines every HealthCheckInterval until the server answers; the
//     client is retired and stopped instead, so the interval is long.
//   - A ping, answered on that ready connection, is the first command.
func (e *pbEndpoint) newClient() (*client, error) {
	d := net.Dialer{Timeout: e.lim.connect}
	conn, err := d.Dial("tcp", e.addr)
	if err != nil {
		return nil, unavailable(fmt.Errorf("connecting: %w", err))
	}
	conn.Close()
	node, err := riakclient.NewNode(&riakclient.NodeOptions{
		RemoteAddress:       e.addr,
		ConnectTimeout:      e.lim.connect,
		RequestTimeout:      e.lim.answer,
		HealthCheckInterval: time.Hour,
	})
	if err != nil {
		return nil, err
	}
	cluster, err := riakclient.NewCluster(&riakclient.ClusterOptions{
		Nodes:             []*riakclient.Node{node},
		NoDefaultNode:     true,
		ExecutionAttempts: 1,
	})
	if err != nil {
		return nil, err
	}
	if err := cluster.Start(); err != nil {
		return nil, err
	}
	if !idleConnection(node) {
		cluster.Stop()
		return nil, unavailable(fmt.Errorf("connecting to %s failed right after a test connection succeeded", e.addr))
	}
	c := &client{cluster: cluster}
	ping, err := (&riakclient.PingCommandBuilder{}).Build()
	if err != nil {
		cluster.Stop()
		return nil, err
	}
	if err := e.classify(c, "ping", cluster.Execute(ping), false); err != nil {
		if c.retiredFor() == nil {
			// Answered (say "Unknown message code: 1" while the node
			// starts): the client is fine, the node will come.
			return c, nil
		}
		return nil, err
	}
	return c, nil
}

// idleConnection reports whether node holds an idle connection, from
// Node.String's "address|connections|idle connections".
func idleConnection(node *riakclient.Node) bool {
	f := strings.Split(node.String(), "|")
	n, err := strconv.Atoi(f[len(f)-1])
	return err == nil && n > 0
}

// execute runs cmd, giving up waiting when ctx ends (the client library
// takes no context; the command's own timeout ends the call in any case).
// A write whose caller gave up may have been sent: it is unanswered.
func (e *pbEndpoint) execute(ctx context.Context, op string, cmd riakclient.Command, limit time.Duration, write bool) error {
	c, err := e.client(ctx)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		err := e.classify(c, op, c.cluster.Execute(cmd), write)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("%w (limit %v)", err, limit.Round(time.Millisecond))
		}
		c.done()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if write {
			return unanswered(fmt.Errorf("%s sent, then the caller gave up: %w", op, ctx.Err()))
		}
		return ctx.Err()
	}
}

// classify turns what riak-go-client returned for op into this package's
// errors, retiring c after a failure of the connection or the node.
func (e *pbEndpoint) classify(c *client, op string, err error, write bool) error {
	if err == nil {
		return nil
	}
	if re, ok := riakError(err); ok {
		answered := fmt.Errorf("%s: Riak answered %q", op, re.Errmsg)
		switch {
		case write && re.Errmsg == "timeout":
			// The put or delete FSM gave up waiting for the vnodes,
			// which may have applied the write.
			return unanswered(answered)
		case serverTrouble(re):
			return unavailable(answered)
		}
		return answered
	}
	cause := clientCause(err)
	if cause == nil {
		// The client ran nothing: its node was marked down by a
		// failure of another command.
		cause = errors.New("riak-go-client has no usable connection: its node is marked down")
		if prev := c.retiredFor(); prev != nil {
			cause = fmt.Errorf("riak-go-client has no usable connection since: %w", prev)
		}
	}
	c.retire(cause)
	e.mu.Lock()
	if e.cur == c {
		e.cur = nil
	}
	e.mu.Unlock()
	if errors.Is(cause, io.EOF) {
		cause = fmt.Errorf("the server closed the connection (%w)", cause)
	}
	if write && answerMissing(cause) {
		return unanswered(fmt.Errorf("%s sent, no answer: %w", op, cause))
	}
	return unavailable(fmt.Errorf("%s: %w", op, cause))
}

// clientCause is the error under riak-go-client's ClientError wrapping
// ("all retries exhausted"), nil when there is none.
func clientCause(err error) error {
	for {
		var ce riakclient.ClientError
		if !errors.As(err, &ce) {
			return err
		}
		if ce.InnerError == nil {
			return nil
		}
		err = ce.InnerError
	}
}

// answerMissing reports whether a connection error happened after the
// request was written: riak-go-client writes the whole message before it
// reads, so a failed read (a timeout, a closed or reset connection) means
// the server had the request.
func answerMissing(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op == "read"
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (e *pbEndpoint) fetch(ctx context.Context, k mstore.Key, head bool) (*object, error) {
	// A value's size is unknown until it arrives, and riak-go-client
	// gives the whole answer one deadline: it gets the transfer of the
	// largest object Riak stores by default.
	limit := e.lim.answer
	if !head {
		limit += e.lim.transfer(riakMaxObject)
	}
	cmd, err := riakclient.NewFetchValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).WithHeadOnly(head).
		WithReturnDeletedVClock(true).WithTimeout(limit).Build()
	if err != nil {
		return nil, err
	}
	if err := e.execute(ctx, "get", cmd, limit, false); err != nil {
		return nil, err
	}
	resp := cmd.(*riakclient.FetchValueCommand).Response
	if resp == nil || resp.IsNotFound {
		return nil, nil
	}
	obj := &object{vclock: resp.VClock}
	for _, o := range resp.Values {
		v := value{data: o.Value, deleted: o.IsTombstone}
		v.expires = noExpires
		for _, m := range o.UserMeta {
			if isMetaExpires(m.Key) {
				v.expires = parseExpires(m.Value)
			}
		}
		obj.values = append(obj.values, v)
	}
	if len(obj.vclock) == 0 && !obj.hasValue() {
		return nil, nil
	}
	return obj, nil
}

func (e *pbEndpoint) store(ctx context.Context, k mstore.Key, vclock []byte, v value) error {
	limit := e.lim.answer + e.lim.transfer(int64(len(v.data)))
	cmd, err := riakclient.NewStoreValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).
		WithContent(&riakclient.Object{
			Value:       v.data,
			ContentType: contentType,
			UserMeta:    []*riakclient.Pair{{Key: metaExpires, Value: strconv.FormatInt(v.expires, 10)}},
		}).
		WithVClock(vclock).WithTimeout(limit).Build()
	if err != nil {
		return err
	}
	return e.execute(ctx, "put", cmd, limit, true)
}

func (e *pbEndpoint) remove(ctx context.Context, k mstore.Key, vclock []byte) error {
	cmd, err := riakclient.NewDeleteValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).WithVClock(vclock).WithTimeout(e.lim.answer).Build()
	if err != nil {
		return err
	}
	return e.execute(ctx, "delete", cmd, e.lim.answer, true)
}

// troubleReplies are the Riak error responses that speak of the node or the
// cluster behind it rather than of the request: it is overloaded, it timed
// out, too few replicas answered, or it is starting ("Unknown message code:
// N" is riak_api_pb_server's answer to a message whose service, such as
// riak_kv's get and put, is not registered yet).
var troubleReplies = []string{"overload", "timeout", "insufficient_vnodes", "all_nodes_down", "Unknown message code"}

// serverTrouble reports whether err means the server failed, so the pool
// backs off from it: a network or connection error (anything riak-go-client
// reports other than a Riak error response) or one of troubleReplies. Any
// other error response, such as "{too_large,N}" or a bad vclock, is about
// the request and would be the same on every server.
func serverTrouble(err error) bool {
	re, ok := riakError(err)
	if !ok {
		return true
	}
	for _, m := range troubleReplies {
		if strings.Contains(re.Errmsg, m) {
			return true
		}
	}
	return false
}

// riakError finds the Riak error response in err. riak-go-client wraps it
// in a ClientError ("all retries exhausted") that has no Unwrap method.
func riakError(err error) (riakclient.RiakError, bool) {
	for err != nil {
		var re riakclient.RiakError
		if errors.As(err, &re) {
			return re, true
		}
		var ce riakclient.ClientError
		if !errors.As(err, &ce) {
			break
		}
		err = ce.InnerError
	}
	return riakclient.RiakError{}, false
}

// isMetaExpires reports whether a user metadata key is metaExpires, in any
// case, with or without the "X-Riak-Meta-" prefix an object written over
// HTTP carries its user metadata keys with.
func isMetaExpires(key string) bool {
	const prefix = "x-riak-meta-"
	if len(key) > len(prefix) && strings.EqualFold(key[:len(prefix)], prefix) {
		key = key[len(prefix):]
	}
	return strings.EqualFold(key, metaExpires)
}
