package smppclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/smpp"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// The store fails after the SMSC accepted the message (review item 2):
// the delivery fails temporarily, and the spool's retry stores the
// message under the ids the SMSC gave without submitting it again. Its
// receipt then finds it.
func TestStoreOutageStoresWithoutResending(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Hold: true}, hooks, "")
	f := &failing{Store: r.store}
	r.core.Store = f
	f.save.Store(true)
	m := sms("15550001@"+domain, "x")
	err := r.ch.Deliver(context.Background(), m)
	e, ok := status.Of(err)
	if !ok || !e.Temporary || e.Protocol != status.Store || !errors.Is(err, errDown) {
		t.Fatalf("Deliver with the store down = %v, want a temporary store error", err)
	}
	f.save.Store(false)
	if err := r.ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("the retry with the store back: %v", err)
	}
	subs := r.smsc.Submissions()
	if len(subs) != 1 {
		t.Fatalf("the SMSC got %d submit_sm for one message", len(subs))
	}
	key := mstore.Key{Bucket: retry.Bucket(retry.SMPP, "12345", true), ID: subs[0].ID}
	if _, err := r.store.Load(context.Background(), key); err != nil {
		t.Fatalf("the message is not stored under the id the SMSC gave: %v", err)
	}
	r.smsc.Release()
	hooks.await(t, "smpp_handle_DR_positive", 1)
}

// A long SMS throttled part way (review item 3): the segments already
// accepted are never sent again, the rest go with the same concatenation
// reference (so the handset joins them), and its receipts decide it once.
func TestLongSMSResumesAtTheThrottledSegment(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{MaxRate: 2}, hooks, "smpp_esme_udh_segment = true")
	m := sms("15550001@"+domain, strings.Repeat("0123456789", 60)) // 4 segments
	// The first attempt ends before the pause is over, as a spool attempt
	// whose time runs out does.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	err := r.ch.Deliver(ctx, m)
	cancel()
	if !status.IsTemporary(err) {
		t.Fatalf("first attempt at 2/s: %v, want a temporary failure part way", err)
	}
	if n := len(r.smsc.Submissions()); n == 0 || n >= 4 {
		t.Fatalf("first attempt: %d of 4 segments accepted, want part", n)
	}
	deliverRetrying(t, r.ch, m)
	subs := r.smsc.Submissions()
	if len(subs) != 4 {
		t.Fatalf("the SMSC accepted %d segments for a message of 4", len(subs))
	}
	for i, s := range subs {
		if s.Segment == nil || int(s.Segment.Seq) != i+1 || s.Segment.Total != 4 || s.Segment.Ref != subs[0].Segment.Ref {
			t.Fatalf("segment %d: %+v, want %d/4 with reference %d", i, s.Segment, i+1, subs[0].Segment.Ref)
		}
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
	if n := hooks.count("smpp_store_submit"); n != 1 {
		t.Fatalf("store hook ran %d times", n)
	}
}

// Two long SMS to the same handset carry different references (review
// item 20), counted up per destination rather than drawn at random.
func TestConcatenationReferencePerDestination(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, "smpp_esme_udh_segment = true\n smpp_csms_refnum_length = 1")
	long := strings.Repeat("0123456789", 20)
	for range 3 {
		deliverRetrying(t, r.ch, sms("15550001@"+domain, long))
	}
	subs := r.smsc.Submissions()
	if len(subs) != 6 {
		t.Fatalf("%d segments, want 6", len(subs))
	}
	for i := 2; i < 6; i += 2 {
		if want := (subs[i-2].Segment.Ref + 1) & 0xFF; subs[i].Segment.Ref != want {
			t.Fatalf("message %d has reference %d, the one before %d", i/2+1, subs[i].Segment.Ref, subs[i-2].Segment.Ref)
		}
	}
}

// A long SMS refused for good part way (review item 3) fails with a
// permanent error whose text says how many segments the SMSC had
// accepted, so the bounce tells the sender the recipient may have seen
// part of it.
func TestLongSMSRefusedPartWaySaysSo(t *testing.T) {
	var n atomic.Int32
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
		if r.ID != smpp.SubmitSM {
			_ = s.conn.Respond(r, smpp.ROK, nil)
			return
		}
		if n.Add(1) == 3 {
			_ = s.conn.Respond(r, smpp.RInvMsgLen, nil)
			return
		}
		_ = s.conn.Respond(r, smpp.ROK, &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: fmt.Sprint("m", n.Load())})
	})
	p.v34.Store(true)
	r := newRigAt(t, p.ln.Addr().String(), "", func(mstore.Store, *spool.Recorder) retry.Hooks { return newRecHooks() })
	err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, strings.Repeat("0123456789", 60)))
	e, ok := status.Of(err)
	if !ok || e.Temporary || !strings.Contains(e.Text, "segment 3 of 4; the first 2 were accepted") {
		t.Fatalf("Deliver = %v, want a permanent error naming the accepted segments", err)
	}
}
