package smsc

import (
	"context"
	"fmt"
	"time"

	"msyshost/lib/smpp"
)

// receipt is one deliver_sm the simulator owes an ESME.
type receipt struct {
	systemID string
	sub      Submission
	on       *session // where it is in flight
	num      uint64   // the number behind the message id
	stat     string
	due      time.Time
	inflight bool
	tries    int
}

// plan decides the receipts a submission gets (registered_delivery,
// 5.2.17): the final one when 0x01 asks for it, or on failure only with
// 0x02; ENROUTE first when 0x10 asks for intermediate notifications.
func (s *Server) plan(sub *Submission, num uint64) []*receipt {
	sub.Outcome = s.outcome(sub.Dest)
	rd := sub.SM.RegisteredDelivery
	final := rd&0x03 == smpp.RegDlvSMSC || (rd&0x03 == smpp.RegDlvSMSCFail && sub.Outcome != "DELIVRD")
	inter := s.opt.Intermediate == IntermediateAlways ||
		(s.opt.Intermediate == IntermediateRequested && rd&smpp.RegDlvIntermedia != 0)
	now := time.Now()
	var out []*receipt
	if inter && (final || rd&smpp.RegDlvIntermedia != 0) {
		out = append(out, &receipt{systemID: sub.SystemID, sub: *sub, num: num, stat: "ENROUTE", due: now.Add(s.opt.ReceiptDelay / 2)})
	}
	if final {
		out = append(out, &receipt{systemID: sub.SystemID, sub: *sub, num: num, stat: sub.Outcome, due: now.Add(s.opt.ReceiptDelay)})
	}
	return out
}

// queue adds receipts to the outbox, a duplicate after every nth.
func (s *Server) queue(rs ...*receipt) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	for _, r := range rs {
		s.outbox = append(s.outbox, r)
		if s.dup() {
			cp := *r
			s.outbox = append(s.outbox, &cp)
		}
	}
	s.mu.Unlock()
	s.poke()
}

func (s *Server) dup() bool {
	n := s.opt.DuplicateEvery
	return n > 0 && s.rcpts.Add(1)%uint64(n) == 0
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dispatch sends due receipts to a receiving session of their system_id,
// any of them, as SMSCs route a receipt to whichever receiver bind of the
// account is up, not the one that submitted. A receipt without a bound
// receiver waits, as SMSCs hold receipts until the ESME binds again.
func (s *Server) dispatch(ctx context.Context) {
	defer s.wg.Done()
	// The outbox is looked at when something changes (a receipt queued or
	// settled, a session bound, Release) and when the earliest receipt
	// waiting for its time is due, not on a clock tick.
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	rr := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		if s.held.Load() {
			continue
		}
		now := time.Now()
		next := now.Add(time.Hour)
		s.mu.Lock()
		var recv []*session
		for se := range s.sessions {
			if se.receives() {
				recv = append(recv, se)
			}
		}
		var send []*receipt
		var to []*session
		for _, r := range s.outbox {
			if r.inflight {
				continue
			}
			if r.due.After(now) {
				if r.due.Before(next) {
					next = r.due
				}
				continue
			}
			var target *session
			for i := range recv {
				se := recv[(rr+i)%len(recv)]
				if se.systemID == r.systemID && int(se.inflight.Load()) < s.opt.Window {
					target = se
					rr = (rr + i + 1) % len(recv)
					break
				}
			}
			if target == nil {
				continue
			}
			r.inflight = true
			target.inflight.Add(1)
			send = append(send, r)
			to = append(to, target)
		}
		s.mu.Unlock()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next.Sub(now))
		for i, r := range send {
			s.send(ctx, to[i], r)
		}
	}
}

// deliverNow sends r at once, ahead of anything else: on se when it can
// take receipts, otherwise through the outbox.
func (s *Server) deliverNow(ctx context.Context, se *session, r *receipt) {
	r.due = time.Time{}
	if !se.receives() {
		s.queue(r)
		return
	}
	var dup *receipt
	if s.dup() {
		cp := *r
		dup = &cp
	}
	r.inflight = true
	se.inflight.Add(1)
	s.mu.Lock()
	s.outbox = append(s.outbox, r)
	if dup != nil {
		s.outbox = append(s.outbox, dup)
	}
	s.mu.Unlock()
	s.send(ctx, se, r)
	s.poke()
}

// send writes r's deliver_sm and settles it when the answer comes:
// acknowledged receipts leave the outbox; a temporary error, a timeout or
// a lost connection sends it again after Redeliver (an SMSC's retry
// schedule), a permanent error drops it (SMSCs give up on a rejected
// receipt).
func (s *Server) send(ctx context.Context, se *session, r *receipt) {
	r.on = se
	sm := s.receiptPDU(r)
	var wait func(context.Context) (*smpp.PDU, error)
	var err error
	if s.opt.DataSM {
		payload := sm.TLVs
		if len(sm.ShortMessage) > 0 {
			payload.Set(smpp.TagMessagePayload, sm.ShortMessage)
		}
		wait, err = se.conn.Start(ctx, smpp.DataSM, &smpp.Data{
			SourceAddrTON: sm.SourceAddrTON, SourceAddrNPI: sm.SourceAddrNPI, SourceAddr: sm.SourceAddr,
			DestAddrTON: sm.DestAddrTON, DestAddrNPI: sm.DestAddrNPI, DestinationAddr: sm.DestinationAddr,
			EsmClass: sm.EsmClass, TLVs: payload,
		})
	} else {
		wait, err = se.conn.Start(ctx, smpp.DeliverSM, sm)
	}
	if err != nil {
		s.settle(r, smpp.RSysErr, err)
		return
	}
	s.sent.Add(1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, s.opt.Redeliver)
		defer cancel()
		resp, err := wait(wctx)
		st := smpp.RSysErr
		if err == nil {
			st = resp.Status
		}
		s.settle(r, st, err)
	}()
}

func (s *Server) settle(r *receipt, st smpp.Status, err error) {
	defer s.poke() // a window slot is free, or the receipt waits for its next time
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.on != nil {
		r.on.inflight.Add(-1)
		r.on = nil
	}
	r.inflight = false
	r.tries++
	if st == smpp.ROK || (err == nil && !st.Temporary() && st != smpp.RSysErr) {
		if st != smpp.ROK {
			s.log.Info("smsc simulator: receipt refused; dropped", "id", r.sub.ID, "status", st.String())
		}
		for i, o := range s.outbox {
			if o == r {
				s.outbox = append(s.outbox[:i], s.outbox[i+1:]...)
				break
			}
		}
		return
	}
	r.due = time.Now().Add(s.opt.Redeliver)
	s.log.Debug("smsc simulator: receipt to be sent again", "id", r.sub.ID, "status", st.String(), "error", err)
}

// errCodes are the err: values receipts carry per final state, GSM
// MAP-style causes as carrier SMSCs report them.
var errCodes = map[string]string{
	"DELIVRD": "000", "UNDELIV": "001", "EXPIRED": "027", "REJECTD": "011", "DELETED": "006", "UNKNOWN": "255", "ENROUTE": "000",
}

// receiptPDU builds the deliver_sm of r (appendix B, 5.2.12, 5.3.2.12,
// 5.3.2.35): addresses swapped from the submit, esm_class marking a
// receipt, the id in ReceiptIDFormat.
func (s *Server) receiptPDU(r *receipt) *smpp.SM {
	f := s.opt.IDFormat
	if s.opt.ReceiptIDFormat != nil {
		f = *s.opt.ReceiptIDFormat
	}
	id := formatID(r.num, f)
	if f == s.opt.IDFormat {
		id = r.sub.ID
	}
	sm := &smpp.SM{
		ID: smpp.DeliverSM, SourceAddr: r.sub.Dest, DestinationAddr: r.sub.Source,
		SourceAddrTON: r.sub.SM.DestAddrTON, SourceAddrNPI: r.sub.SM.DestAddrNPI,
		DestAddrTON: r.sub.SM.SourceAddrTON, DestAddrNPI: r.sub.SM.SourceAddrNPI,
		EsmClass: smpp.EsmDeliveryRcpt,
	}
	if r.stat == "ENROUTE" {
		sm.EsmClass = smpp.EsmIntermediate
	}
	date := time.Now().UTC().Format("0601021504")
	dlvrd := "000"
	if r.stat == "DELIVRD" {
		dlvrd = "001"
	}
	snippet := []rune(r.sub.Text)
	if len(snippet) > 20 {
		snippet = snippet[:20]
	}
	text := fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s",
		id, dlvrd, date, date, r.stat, errCodes[r.stat], asciiOnly(string(snippet)))
	if s.opt.PlainReceipts {
		sm.EsmClass = 0
	}
	if s.opt.Style != TLVOnly {
		sm.ShortMessage = []byte(text)
		if s.opt.ReceiptUCS2 {
			sm.DataCoding = smpp.CodingUCS2
			sm.ShortMessage, _ = smpp.EncodeText(text, smpp.CodingUCS2)
		}
		if s.opt.TrailingNUL {
			sm.ShortMessage = append(sm.ShortMessage, 0, 0)
		}
		if len(sm.ShortMessage) > smpp.MaxShortMessage {
			sm.ShortMessage = sm.ShortMessage[:smpp.MaxShortMessage]
		}
	}
	if s.opt.Style != TextOnly {
		tlvID := id
		if s.opt.TLVSubmitID {
			tlvID = r.sub.ID
		}
		v := append([]byte(tlvID), 0)
		if s.opt.TrailingNUL {
			v = append(v, 0)
		}
		sm.TLVs.Set(smpp.TagReceiptedMessageID, v)
		st, _ := smpp.StateOf(r.stat)
		sm.TLVs.SetUint8(smpp.TagMessageState, st)
		if r.stat != "DELIVRD" && r.stat != "ENROUTE" {
			var code uint16
			fmt.Sscanf(errCodes[r.stat], "%d", &code)
			sm.TLVs.Set(smpp.TagNetworkErrorCode, []byte{3, byte(code >> 8), byte(code)})
		}
	}
	return sm
}

// asciiOnly keeps the receipt text in the characters every data_coding 0
// reader agrees on.
func asciiOnly(s string) string {
	b := []byte{}
	for _, r := range s {
		if r >= 0x20 && r < 0x7F {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}
