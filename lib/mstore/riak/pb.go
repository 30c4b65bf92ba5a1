package riak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	riakclient "github.com/basho/riak-go-client"

	"msyshost/lib/mstore"
)

// pbEndpoint speaks Riak's Protocol Buffers API to one server through
// riak-go-client: a one-node cluster, so that server choice and backoff
// stay with the pool and behave as they do for HTTP servers.
type pbEndpoint struct {
	addr           string
	connectTimeout time.Duration
	timeout        time.Duration
	cluster        *riakclient.Cluster

	// primed is set once a ping has gone through; priming holds a token
	// while one caller's ping is in flight (see prime).
	primed  atomic.Bool
	priming chan struct{}
}

func newPBEndpoint(addr string, opts Options) (*pbEndpoint, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	node, err := riakclient.NewNode(&riakclient.NodeOptions{
		RemoteAddress:  addr,
		ConnectTimeout: opts.ConnectTimeout,
		RequestTimeout: opts.Timeout,
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
	return &pbEndpoint{
		addr: addr, connectTimeout: opts.ConnectTimeout, timeout: opts.Timeout,
		cluster: cluster, priming: make(chan struct{}, 1),
	}, nil
}

// prime works around riak-go-client v1.7.0's default node manager: when the
// very first command of a cluster finds its node unusable, its round robin
// waits for a start index it never sees again and spins until the node
// recovers, which for a dead server is forever. Later commands fail fast.
// So the first command, a ping, is only sent once a TCP connection to the
// server succeeded; until a ping has succeeded, calls fail as unavailable
// and the next one primes again.
//
// One ping is in flight at a time (a second one could spin beside the
// first), but nobody waits for it longer than their context allows, nor
// longer than a connection and a request may take: a caller that gives up
// leaves the ping to finish, or spin, on its own.
func (e *pbEndpoint) prime(ctx context.Context) error {
	if e.primed.Load() {
		return nil
	}
	limit := time.NewTimer(e.connectTimeout + e.timeout)
	defer limit.Stop()
	stuck := func() error {
		return unavailable(fmt.Errorf("first request to %s: no answer to a ping within %v", e.addr, e.connectTimeout+e.timeout))
	}
	select {
	case e.priming <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-limit.C:
		return stuck()
	}
	if e.primed.Load() {
		<-e.priming
		return nil
	}
	d := net.Dialer{Timeout: e.connectTimeout}
	c, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		<-e.priming
		return unavailable(err)
	}
	c.Close()
	ping, err := (&riakclient.PingCommandBuilder{}).Build()
	if err != nil {
		<-e.priming
		return err
	}
	done := make(chan error, 1)
	go func() {
		err := e.cluster.Execute(ping)
		if err == nil {
			e.primed.Store(true)
		}
		<-e.priming
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return unavailable(err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-limit.C:
		return stuck()
	}
}

func (e *pbEndpoint) String() string { return "pb://" + e.addr }

func (e *pbEndpoint) close() error { return e.cluster.Stop() }

// execute runs cmd, giving up waiting when ctx ends (the client library
// takes no context; its own request timeout ends the call in any case).
func (e *pbEndpoint) execute(ctx context.Context, cmd riakclient.Command) error {
	if err := e.prime(ctx); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- e.cluster.Execute(cmd) }()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		if re, ok := riakError(err); ok && !serverTrouble(re) {
			return re
		}
		return unavailable(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *pbEndpoint) fetch(ctx context.Context, k mstore.Key, head bool) (*object, error) {
	cmd, err := riakclient.NewFetchValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).WithHeadOnly(head).
		WithReturnDeletedVClock(true).Build()
	if err != nil {
		return nil, err
	}
	if err := e.execute(ctx, cmd); err != nil {
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
	cmd, err := riakclient.NewStoreValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).
		WithContent(&riakclient.Object{
			Value:       v.data,
			ContentType: contentType,
			UserMeta:    []*riakclient.Pair{{Key: metaExpires, Value: strconv.FormatInt(v.expires, 10)}},
		}).
		WithVClock(vclock).Build()
	if err != nil {
		return err
	}
	return e.execute(ctx, cmd)
}

func (e *pbEndpoint) remove(ctx context.Context, k mstore.Key, vclock []byte) error {
	cmd, err := riakclient.NewDeleteValueCommandBuilder().
		WithBucket(k.Bucket).WithKey(k.ID).WithVClock(vclock).Build()
	if err != nil {
		return err
	}
	return e.execute(ctx, cmd)
}

// troubleReplies are the Riak error responses that speak of the node or the
// cluster behind it rather than of the request: it is overloaded, it timed
// out, or too few replicas answered.
var troubleReplies = []string{"overload", "timeout", "insufficient_vnodes", "all_nodes_down"}

// serverTrouble reports whether err means the server failed, so the pool
// backs off from it: a network or connection error (anything riak-go-client
// reports other than a Riak error response) or one of troubleReplies. Any
// other error response, such as "Object too large" or a bad vclock, is
// about the request and would be the same on every server.
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
