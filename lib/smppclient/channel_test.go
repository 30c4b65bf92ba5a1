package smppclient_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/mstore"
	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	"msyshost/lib/status"
)

func TestPositiveAndNegativeReceipts(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Outcomes: []smsc.Weighted{{Stat: "DELIVRD", Weight: 1}, {Stat: "UNDELIV", Weight: 1}}, ReceiptDelay: 20 * time.Millisecond}, hooks, "")
	ctx := context.Background()
	for _, to := range []string{"15550001@" + domain, "15550002@" + domain} {
		if err := r.ch.Deliver(ctx, sms(to, "hello")); err != nil {
			t.Fatal(err)
		}
	}
	subs := r.smsc.Submissions()
	if len(subs) != 2 || subs[0].Dest != "15550001" || subs[0].Source != "12345" || subs[0].Text != "hello" {
		t.Fatalf("SMSC saw %+v", subs)
	}
	if subs[0].SM.RegisteredDelivery != smpp.RegDlvSMSC {
		t.Fatalf("registered_delivery = %d", subs[0].SM.RegisteredDelivery)
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
	hooks.await(t, "smpp_handle_DR_negative", 1)
	if hooks.count("smpp_store_submit") != 2 {
		t.Fatalf("store hook ran %d times", hooks.count("smpp_store_submit"))
	}
	// The negative receipt bounced (the fake hooks continue) and deleted
	// the copy; the positive one leaves the copy to the hook.
	waitFor(t, func() bool { _, b := r.rec.Take(); return len(b) == 1 })
	waitFor(t, func() bool {
		_, err := mstore.LoadMessage(ctx, r.store, mstore.Key{Bucket: "MADR-12345", ID: subs[1].ID})
		return errors.Is(err, mstore.ErrNotFound)
	})
	rec, err := r.store.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: subs[0].ID})
	if err != nil || rec.Origin.Channel != "smpp" || rec.Origin.Shortcode != "12345" || rec.Origin.Domain != domain {
		t.Fatalf("stored copy %+v, %v", rec, err)
	}
	waitFor(t, func() bool { return r.smsc.Pending() == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Every receipt shape real SMSCs send correlates to its stored message,
// and the hook runs exactly once.
func TestReceiptShapes(t *testing.T) {
	hex, dec := smpp.IDHex, smpp.IDDecimal
	cases := []struct {
		name  string
		opt   smsc.Options
		extra string
	}{
		{"TLV only", smsc.Options{Style: smsc.TLVOnly}, ""},
		{"text only", smsc.Options{Style: smsc.TextOnly}, ""},
		{"trailing NULs", smsc.Options{TrailingNUL: true}, ""},
		{"duplicates", smsc.Options{DuplicateEvery: 1}, ""},
		{"hex submit ids, decimal receipts", smsc.Options{IDFormat: hex, ReceiptIDFormat: &dec, Style: smsc.TextOnly},
			`smpp_submit_response_message_id_format = "Hexadecimal"
  smpp_delivery_receipt_message_id_format = "decimal"`},
		{"TLV in the submit format, text in decimal", smsc.Options{IDFormat: hex, ReceiptIDFormat: &dec, TLVSubmitID: true},
			`smpp_submit_response_message_id_format = "Hexadecimal"
  smpp_delivery_receipt_message_id_format = "decimal"`},
		{"TLV and text in decimal, submit in hex", smsc.Options{IDFormat: hex, ReceiptIDFormat: &dec},
			`smpp_submit_response_message_id_format = "Hexadecimal"
  smpp_delivery_receipt_message_id_format = "decimal"`},
		{"decimal with leading zeros", smsc.Options{IDFormat: dec}, `smpp_submit_response_message_id_format = "decimal"
  smpp_delivery_receipt_message_id_format = "decimal"`},
		{"intermediate ENROUTE first", smsc.Options{Intermediate: smsc.IntermediateAlways}, ""},
		{"receipt before submit_sm_resp", smsc.Options{Early: true}, ""},
		{"receipt in data_sm", smsc.Options{DataSM: true, Style: smsc.TextOnly}, ""},
		{"UCS-2 receipt text", smsc.Options{ReceiptUCS2: true, Style: smsc.TextOnly}, ""},
		{"TLVs in submit_sm_resp", smsc.Options{RespTLVs: true}, ""},
		{"receipt with esm_class 0", smsc.Options{PlainReceipts: true}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hooks := newRecHooks()
			r := newRig(t, c.opt, hooks, c.extra)
			if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "hi")); err != nil {
				t.Fatal(err)
			}
			hooks.await(t, "smpp_handle_DR_positive", 1)
			// Every receipt, duplicates included (queued with their
			// original), is answered only after its hook ran or it was
			// found a duplicate: none is left to run a hook late.
			waitFor(t, func() bool { return r.smsc.Pending() == 0 })
			if n := hooks.count("smpp_handle_DR_positive"); n != 1 {
				t.Fatalf("positive hook ran %d times", n)
			}
			hooks.mu.Lock()
			calls := hooks.calls
			hooks.mu.Unlock()
			// The receipt hook sees the key the store hook saw.
			if calls[0].args[1] != calls[1].args[1] || calls[0].args[0] != "MADR-12345" {
				t.Fatalf("calls %+v", calls)
			}
		})
	}
}

func TestLongMessageSegments(t *testing.T) {
	for _, extra := range []string{"", "smpp_esme_udh_segment = true\n smpp_csms_refnum_length = 1", "smpp_esme_message_payload = true"} {
		t.Run(extra, func(t *testing.T) {
			hooks := newRecHooks()
			r := newRig(t, smsc.Options{Outcomes: []smsc.Weighted{{Stat: "DELIVRD", Weight: 1}}}, hooks, extra)
			body := strings.Repeat("0123456789", 40)
			if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, body)); err != nil {
				t.Fatal(err)
			}
			subs := r.smsc.Submissions()
			want := 3
			if strings.Contains(extra, "payload") {
				want = 1
			}
			if len(subs) != want {
				t.Fatalf("%d submit_sm, want %d", len(subs), want)
			}
			var text string
			for _, s := range subs {
				text += s.Text
			}
			if text != body {
				t.Fatalf("SMSC reassembled %q", text)
			}
			hooks.await(t, "smpp_handle_DR_positive", 1)
			waitFor(t, func() bool { return r.smsc.Pending() == 0 })
			if n := hooks.count("smpp_handle_DR_positive"); n != 1 {
				t.Fatalf("positive hook ran %d times for one message", n)
			}
		})
	}
}

func TestSubmitErrorsCarryStatus(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{MaxRate: 1, Reject: map[string]smpp.Status{"15559999": smpp.RInvDstAdr}}, hooks, "")
	ctx := context.Background()
	err := r.ch.Deliver(ctx, sms("15559999@"+domain, "x"))
	e, ok := status.Of(err)
	if !ok || e.Temporary || e.Code != int(smpp.RInvDstAdr) || e.Enhanced != "5.1.1" {
		t.Fatalf("refused destination: %v", err)
	}
	var throttled int
	for i := 0; i < 3; i++ {
		err := r.ch.Deliver(ctx, sms("15550001@"+domain, "x"))
		if e, ok := status.Of(err); ok && e.Code == int(smpp.RThrottled) {
			if !e.Temporary {
				t.Fatalf("ESME_RTHROTTLED must be temporary: %v", err)
			}
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no submit was throttled at 1/s")
	}
	if err := r.ch.Deliver(ctx, sms("nobody@other.example", "x")); err == nil || status.IsTemporary(err) {
		t.Fatalf("unknown domain: %v, want a permanent error", err)
	}
}

// Without a source address the submission is bucketed MADR-SMPP, and its
// receipt (whose destination_addr is then empty) finds it there.
func TestNoSourceAddressBucket(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, `smpp_esme_address = ""`)
	if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "x")); err != nil {
		t.Fatal(err)
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	for _, c := range hooks.calls {
		if c.args[0] != "MADR-SMPP" {
			t.Fatalf("%s in bucket %s, want MADR-SMPP", c.hook, c.args[0])
		}
	}
}

// A message routed to the SMPP domain (msg:routing_domain, the console's
// reroute queue) goes out on that domain's binds, to the number before
// its recipient's @, whatever domain follows it. Before, it bounced with
// "no SMPP binding for domain".
func TestRoutingDomainPicksTheBinds(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, "")
	m := sms("15550002@example.net", "x")
	m.RoutingDomain = domain
	if err := r.ch.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if sm := r.smsc.Submissions()[0].SM; sm.DestinationAddr != "15550002" {
		t.Fatalf("submit_sm to %q", sm.DestinationAddr)
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
}

// Source and destination TON/NPI, service type and validity period come
// from the domain's options.
func TestAddressOptions(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, `smpp_esme_address = "MSYSHOST"
  smpp_esme_type_of_number = "alphanumeric" smpp_esme_numbering_plan = "unknown"
  smpp_destination_type_of_number = "national" smpp_destination_numbering_plan = "e164"
  smpp_esme_service_type = "WAP" smpp_esme_validity_period = "000001000000000R"`)
	if err := r.ch.Deliver(context.Background(), sms("5551234@"+domain, "x")); err != nil {
		t.Fatal(err)
	}
	sm := r.smsc.Submissions()[0].SM
	if sm.SourceAddr != "MSYSHOST" || sm.SourceAddrTON != 5 || sm.SourceAddrNPI != 0 || sm.DestAddrTON != 2 || sm.DestAddrNPI != 1 ||
		sm.ServiceType != "WAP" || sm.ValidityPeriod != "000001000000000R" {
		t.Fatalf("submit_sm %+v", sm)
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	if hooks.calls[0].args[0] != "MADR-MSYSHOST" {
		t.Fatalf("bucket %s", hooks.calls[0].args[0])
	}
}

// One failed segment makes the whole long SMS negative, once.
func TestLongMessageOneSegmentFails(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Outcomes: []smsc.Weighted{{Stat: "DELIVRD", Weight: 1}, {Stat: "UNDELIV", Weight: 1}}}, hooks, "")
	if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, strings.Repeat("x", 400))); err != nil {
		t.Fatal(err)
	}
	hooks.await(t, "smpp_handle_DR_negative", 1)
	waitFor(t, func() bool { return r.smsc.Pending() == 0 })
	if p, n := hooks.count("smpp_handle_DR_positive"), hooks.count("smpp_handle_DR_negative"); p != 0 || n != 1 {
		t.Fatalf("positive %d, negative %d; want 0 and 1", p, n)
	}
	waitFor(t, func() bool { _, b := r.rec.Take(); return len(b) == 1 })
}

// A receipt whose receipted_message_id and text id name different
// messages is not acted on (review item 7): a wrong guess would run the
// hook for another message's copy. When they agree across formats (TLV as
// the submit response wrote it, text in decimal) it is acted on.
func TestReceiptIDsThatDisagreeAreNotActedOn(t *testing.T) {
	hooks := newRecHooks()
	hex := smpp.IDHex
	r := newRig(t, smsc.Options{IDFormat: hex, Hold: true}, hooks, `smpp_submit_response_message_id_format = "Hexadecimal"
  smpp_delivery_receipt_message_id_format = "decimal"`)
	if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "x")); err != nil {
		t.Fatal(err)
	}
	id := r.smsc.Submissions()[0].ID // 8 hex digits
	n, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(textID string) *smpp.SM {
		sm := &smpp.SM{ID: smpp.DeliverSM, EsmClass: smpp.EsmDeliveryRcpt, DestinationAddr: "12345",
			ShortMessage: []byte("id:" + textID + " sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:")}
		sm.TLVs.SetString(smpp.TagReceiptedMessageID, id)
		return sm
	}
	if st := r.ch.Receipt(context.Background(), domain, "b", receipt(fmt.Sprintf("%010d", n+1))); st != smpp.ROK {
		t.Fatalf("disagreeing receipt answered %s", st)
	}
	if c := hooks.count("smpp_handle_DR_positive"); c != 0 {
		t.Fatalf("a receipt whose ids disagree ran the hook %d times", c)
	}
	if st := r.ch.Receipt(context.Background(), domain, "b", receipt(fmt.Sprintf("%010d", n))); st != smpp.ROK {
		t.Fatalf("agreeing receipt answered %s", st)
	}
	if c := hooks.count("smpp_handle_DR_positive"); c != 1 {
		t.Fatalf("the agreeing receipt ran the hook %d times", c)
	}
}

// A receipt state nobody maps (review item 22) falls back to the
// receipt's other fields: an unknown message_state to the text's stat:, an
// unknown stat: with a non-zero err: to a failed delivery. One that says
// nothing either way runs no hook.
func TestUnrecognisedReceiptStateFallsBack(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Hold: true}, hooks, "")
	for i := range 3 {
		if err := r.ch.Deliver(context.Background(), sms(fmt.Sprintf("1555000%d@%s", i, domain), "x")); err != nil {
			t.Fatal(err)
		}
	}
	subs := r.smsc.Submissions()
	receipt := func(id, text string, state int) *smpp.SM {
		sm := &smpp.SM{ID: smpp.DeliverSM, EsmClass: smpp.EsmDeliveryRcpt, DestinationAddr: "12345",
			ShortMessage: []byte("id:" + id + " sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 " + text)}
		if state >= 0 {
			sm.TLVs.SetUint8(smpp.TagMessageState, uint8(state))
		}
		return sm
	}
	for _, c := range []struct {
		sm   *smpp.SM
		hook string
	}{
		{receipt(subs[0].ID, "stat:DELIVRD err:000 text:", 15), "smpp_handle_DR_positive"},
		{receipt(subs[1].ID, "stat:FAILED err:034 text:", -1), "smpp_handle_DR_negative"},
		{receipt(subs[2].ID, "stat:WAITING err:000 text:", -1), ""},
	} {
		pos, neg := hooks.count("smpp_handle_DR_positive"), hooks.count("smpp_handle_DR_negative")
		if st := r.ch.Receipt(context.Background(), domain, "b", c.sm); st != smpp.ROK {
			t.Fatalf("%s answered %s", c.sm.ShortMessage, st)
		}
		dp, dn := hooks.count("smpp_handle_DR_positive")-pos, hooks.count("smpp_handle_DR_negative")-neg
		want := map[string][2]int{"smpp_handle_DR_positive": {1, 0}, "smpp_handle_DR_negative": {0, 1}, "": {0, 0}}[c.hook]
		if dp != want[0] || dn != want[1] {
			t.Errorf("%s: %d positive, %d negative hooks; want %s", c.sm.ShortMessage, dp, dn, c.hook)
		}
	}
}

// With string ids, a receipt that writes the id in another case or
// without its leading zeros still finds the message (review item 21,
// SPEC "Receipt correlation" 3); the id as written is tried first.
func TestStringIDsMatchAcrossCaseAndLeadingZeros(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Hold: true}, hooks, "")
	for i := range 2 {
		if err := r.ch.Deliver(context.Background(), sms(fmt.Sprintf("1555000%d@%s", i, domain), "x")); err != nil {
			t.Fatal(err)
		}
	}
	subs := r.smsc.Submissions() // "m<hex><n>": lower case
	for i, id := range []string{strings.ToUpper(subs[0].ID), "00" + subs[1].ID} {
		sm := &smpp.SM{ID: smpp.DeliverSM, EsmClass: smpp.EsmDeliveryRcpt, DestinationAddr: "12345",
			ShortMessage: []byte("id:" + id + " stat:DELIVRD err:000")}
		if st := r.ch.Receipt(context.Background(), domain, "b", sm); st != smpp.ROK {
			t.Fatalf("%s answered %s", id, st)
		}
		hooks.await(t, "smpp_handle_DR_positive", i+1)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	var got []string
	for _, c := range hooks.calls {
		if c.hook == "smpp_handle_DR_positive" {
			got = append(got, c.args[1])
		}
	}
	if len(got) != 2 || got[0] != subs[0].ID || got[1] != subs[1].ID {
		t.Fatalf("hooks ran for %v, want the stored ids %s, %s", got, subs[0].ID, subs[1].ID)
	}
}

// smpp_smsc_default_alphabet says how the SMSC reads data_coding 0
// (review item 19): with LATIN1 or ASCII the octets are written so, and
// '@' is 0x40, not GSM 03.38's 0x00 that C-string SMSCs cut the message
// at; text the alphabet cannot carry goes as UCS-2. GSM stays the default.
func TestDefaultAlphabetOption(t *testing.T) {
	for _, c := range []struct {
		extra, text string
		coding      uint8
		octets      string
	}{
		{`smpp_smsc_default_alphabet = "LATIN1"`, "a@b é", smpp.CodingDefault, "a@b \xe9"},
		{`smpp_smsc_default_alphabet = "ASCII"`, "a@b", smpp.CodingDefault, "a@b"},
		{`smpp_smsc_default_alphabet = "LATIN1"`, "Ωmega", smpp.CodingUCS2, "\x03\xa9\x00m\x00e\x00g\x00a"},
		{``, "a@b", smpp.CodingDefault, "a\x00b"},
	} {
		hooks := newRecHooks()
		r := newRig(t, smsc.Options{}, hooks, c.extra)
		if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, c.text)); err != nil {
			t.Fatal(err)
		}
		sm := r.smsc.Submissions()[0].SM
		if sm.DataCoding != c.coding || string(sm.ShortMessage) != c.octets {
			t.Errorf("%s, %q: data_coding %d, octets %q; want %d, %q", c.extra, c.text, sm.DataCoding, sm.ShortMessage, c.coding, c.octets)
		}
	}
	cfg, err := config.Parse("a.conf", []byte(`Domain "a.example" { smpp_smsc_server = "h" smpp_smsc_default_alphabet = "EBCDIC" }`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smppclient.SubmitConfig(cfg, "a.example"); err == nil || !strings.Contains(err.Error(), "smpp_smsc_default_alphabet") {
		t.Errorf("an unknown alphabet: %v", err)
	}
}
