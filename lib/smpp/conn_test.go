package smpp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// A peer that stops reading: every writer gives up within the write
// timeout (the connection fails) or when its context ends, instead of
// queueing for good behind a full socket.
func TestStalledPeerFailsTheConnection(t *testing.T) {
	a, b := net.Pipe() // no buffer: a write blocks until the peer reads
	defer b.Close()
	c := NewConn(a)
	c.WriteTimeout = 200 * time.Millisecond
	go c.Serve(func(*PDU) {})

	// A request whose context ends while another write holds the
	// connection is not sent, and says so.
	var tl TLVs
	tl.Set(TagMessagePayload, bytes.Repeat([]byte("a"), 60000))
	big := &SM{ID: SubmitSM, DestinationAddr: "1", TLVs: tl}
	holding := make(chan error, 1)
	go func() { _, err := c.Request(context.Background(), SubmitSM, big); holding <- err }()
	time.Sleep(20 * time.Millisecond) // the first write is under way
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := c.Request(ctx, EnquireLink, nil)
	cancel()
	if !errors.Is(err, ErrNotSent) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a request behind a stalled write: %v, want not sent at its deadline", err)
	}

	start := time.Now()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { c.Request(context.Background(), SubmitSM, big) })
	}
	wg.Wait()
	if err := <-holding; err == nil {
		t.Fatal("the stalled write succeeded")
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("the connection is still up after a write timed out")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("writers behind the stalled one returned after %s", d)
	}
}

// A response that cannot be decoded goes to its request, header and all,
// and is never answered with generic_nack; a response that comes after its
// request gave up goes to Late.
func TestResponsesAreNeverAnswered(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := NewConn(a)
	late := make(chan *PDU, 1)
	c.Late = func(p *PDU) { late <- p }
	go c.Serve(func(*PDU) {})
	peer := NewConn(b)
	reqs := make(chan *PDU, 4)
	got := make(chan *PDU, 4)
	go peer.Serve(func(p *PDU) { reqs <- p })
	peer.Late = func(p *PDU) { got <- p }

	wait, err := c.Start(context.Background(), SubmitSM, &SM{ID: SubmitSM, DestinationAddr: "1"})
	if err != nil {
		t.Fatal(err)
	}
	req := <-reqs
	// ESME_ROK, and a message_id of 70 octets without its NUL: the
	// status is readable, the body is not.
	bad := make([]byte, HeaderLen)
	bad[4], bad[7], bad[15] = 0x80, 0x04, byte(req.Seq)
	bad = patch(append(bad, bytes.Repeat([]byte("9"), 70)...))
	if _, err := b.Write(bad); err != nil {
		t.Fatal(err)
	}
	p, err := wait(context.Background())
	var de *Error
	if !errors.As(err, &de) || p == nil || p.Status != ROK || p.Seq != req.Seq {
		t.Fatalf("the undecodable response reached its request as %+v, %v", p, err)
	}

	// A request that gave up; its answer comes later.
	ctx, cancel := context.WithCancel(context.Background())
	wait, err = c.Start(ctx, SubmitSM, &SM{ID: SubmitSM, DestinationAddr: "2"})
	if err != nil {
		t.Fatal(err)
	}
	req = <-reqs
	cancel()
	if _, err := wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait after cancel: %v", err)
	}
	peer.Respond(req, ROK, &SMResp{ID: SubmitSMResp, MessageID: "late-1"})
	select {
	case p := <-late:
		if p.Body.(*SMResp).MessageID != "late-1" {
			t.Fatalf("Late got %+v", p.Body)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the late response was not reported")
	}
	// Nothing came back to the peer for either response: the peer reads
	// in order, so by the time a later request reaches it, a generic_nack
	// sent before would have reached it too.
	if _, err := c.Start(context.Background(), EnquireLink, nil); err != nil {
		t.Fatal(err)
	}
	if p := <-reqs; p.ID != EnquireLink {
		t.Fatalf("the peer got %s, want enquire_link", p.ID)
	}
	select {
	case p := <-got:
		t.Fatalf("the peer got %s for a response it sent", p.ID)
	default:
	}
}
