package smsc

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"msyshost/lib/smpp"
)

// session is one ESME connection.
type session struct {
	srv      *Server
	conn     *smpp.Conn
	kind     atomic.Uint32 // the bind command, 0 until bound
	inflight atomic.Int32  // receipts awaiting their deliver_sm_resp
	systemID string
}

func (se *session) bound() smpp.CommandID { return smpp.CommandID(se.kind.Load()) }

// handleSafely is handle with a panic (a simulator bug) logged and the
// request answered ESME_RSYSERR, as an SMSC answers what it failed on,
// instead of ending every test's SMSC at once.
func (se *session) handleSafely(ctx context.Context, p *smpp.PDU) {
	defer func() {
		if r := recover(); r != nil {
			se.srv.log.Error("smsc simulator: panic handling a PDU", "command", p.ID.String(), "seq", p.Seq, "panic", fmt.Sprint(r))
			_ = se.conn.Respond(p, smpp.RSysErr, nil)
		}
	}()
	se.handle(ctx, p)
}

// receives reports whether receipts may go to this session (4.1.3, 4.1.5).
func (se *session) receives() bool {
	k := se.bound()
	return k == smpp.BindReceiver || k == smpp.BindTransceiver
}

func (se *session) handle(ctx context.Context, p *smpp.PDU) {
	switch p.ID {
	case smpp.BindTransmitter, smpp.BindReceiver, smpp.BindTransceiver:
		se.bind(p)
	case smpp.SubmitSM:
		se.submit(ctx, p)
	case smpp.EnquireLink:
		_ = se.conn.Respond(p, smpp.ROK, nil)
	case smpp.Unbind:
		// 4.2: answer, then the ESME or we close.
		_ = se.conn.Respond(p, smpp.ROK, nil)
		se.conn.Close()
	default:
		// deliver_sm, data_sm, outbind and alert_notification are PDUs
		// only an SMSC sends: an ESME sending them is out of step, as one
		// sending what the simulator does not know.
		_ = se.conn.Send(ctx, &smpp.PDU{Header: smpp.Header{ID: smpp.GenericNack, Status: smpp.RInvCmdID, Seq: p.Seq}})
	}
}

// bind checks the account and answers (4.1). A refused bind is answered
// and the connection closed, as SMSCs do rather than let a client retry
// on the same socket.
func (se *session) bind(p *smpp.PDU) {
	b := p.Body.(*smpp.Bind)
	st := smpp.ROK
	if se.bound() != 0 {
		_ = se.conn.Respond(p, smpp.RAlyBnd, nil)
		return
	}
	if len(se.srv.opt.Accounts) > 0 {
		pw, ok := se.srv.opt.Accounts[b.SystemID]
		switch {
		case !ok:
			st = smpp.RInvSysID
		case pw != b.Password:
			st = smpp.RInvPaswd
		}
	}
	if st != smpp.ROK {
		_ = se.conn.Respond(p, st, nil)
		se.srv.log.Info("smsc simulator: bind refused", "system_id", b.SystemID, "status", st.String())
		se.conn.Close()
		return
	}
	se.systemID = b.SystemID
	se.kind.Store(uint32(p.ID))
	resp := &smpp.BindResp{ID: p.ID.Response(), SystemID: se.srv.opt.SystemID}
	if b.InterfaceVersion >= smpp.Version34 {
		resp.TLVs.SetUint8(smpp.TagSCInterfaceVersion, smpp.Version34)
	}
	_ = se.conn.Respond(p, smpp.ROK, resp)
	se.srv.log.Debug("smsc simulator: bound", "system_id", b.SystemID, "as", p.ID.String())
	se.srv.poke()
	if d := se.srv.opt.EnquireLink; d > 0 {
		go se.enquire(d)
	}
}

// throttled counts a submit against MaxRate per one-second window.
func (se *session) throttled() bool {
	max := se.srv.opt.MaxRate
	if max <= 0 {
		return false
	}
	r := &se.srv.rate
	r.Lock()
	defer r.Unlock()
	if r.start == nil {
		r.start, r.count = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if now.Sub(r.start[se.systemID]) >= time.Second {
		r.start[se.systemID], r.count[se.systemID] = now, 0
	}
	r.count[se.systemID]++
	return r.count[se.systemID] > max
}

func (se *session) submit(ctx context.Context, p *smpp.PDU) {
	k := se.bound()
	if k != smpp.BindTransmitter && k != smpp.BindTransceiver {
		// 4.4: only transmitter and transceiver binds may submit.
		_ = se.conn.Respond(p, smpp.RInvBndSts, nil)
		return
	}
	if se.throttled() {
		_ = se.conn.Respond(p, smpp.RThrottled, nil)
		return
	}
	sm := p.Body.(*smpp.SM)
	if st, ok := se.srv.opt.Reject[sm.DestinationAddr]; ok {
		_ = se.conn.Respond(p, st, nil)
		return
	}
	if sm.DestinationAddr == "" {
		_ = se.conn.Respond(p, smpp.RInvDstAdr, nil)
		return
	}
	if limit := 140; len(sm.ShortMessage) > limit && (sm.DataCoding != smpp.CodingDefault || len(sm.ShortMessage) > 160) {
		// The air interface carries 140 octets of user data (23.040
		// 9.2.3.24), 160 septets in the default alphabet, which SMPP
		// writes an octet each: SMSCs refuse a longer short_message,
		// which SMPP's 254-octet field would allow.
		_ = se.conn.Respond(p, smpp.RInvMsgLen, nil)
		return
	}
	id, n := se.srv.nextID()
	sub := Submission{SystemID: se.systemID, ID: id, Source: sm.SourceAddr, Dest: sm.DestinationAddr, SM: sm}
	payload := sm.Payload()
	if sm.EsmClass&smpp.EsmUDHI != 0 {
		_, text, c, err := smpp.SplitUDH(payload)
		if err != nil {
			// 5.2.12: a header that does not fit the message is a bad
			// esm_class/short_message pair.
			_ = se.conn.Respond(p, smpp.RInvEsmClass, nil)
			return
		}
		payload, sub.Segment = text, c
	} else if total, ok := sm.TLVs.Uint(smpp.TagSarTotalSegments); ok {
		ref, _ := sm.TLVs.Uint(smpp.TagSarMsgRefNum)
		seq, _ := sm.TLVs.Uint(smpp.TagSarSegmentSeqnum)
		sub.Segment = &smpp.Concatenation{Ref: uint16(ref), Total: uint8(total), Seq: uint8(seq)}
	}
	text, err := smpp.DecodeText(payload, sm.DataCoding)
	if err != nil {
		// 5.2.19: a data_coding the SMSC does not support.
		_ = se.conn.Respond(p, smpp.RInvOptParamVal, nil)
		return
	}
	sub.Text = text
	rcpts := se.srv.plan(&sub, n)
	se.srv.record(sub)
	if se.srv.opt.Early && len(rcpts) > 0 && !se.srv.held.Load() {
		// Delivery was instant: the final receipt goes out first, on this
		// session when it can take it, and the answer to the submit
		// follows; there was no time for an ENROUTE.
		se.srv.deliverNow(ctx, se, rcpts[len(rcpts)-1])
		rcpts = nil
	}
	resp := &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: id}
	if se.srv.opt.RespTLVs {
		resp.TLVs.SetString(smpp.TagAdditionalStatusInfoText, "accepted")
	}
	if d := se.srv.opt.RespondDelay; d > 0 {
		se.srv.queue(rcpts...)
		time.AfterFunc(d, func() { _ = se.conn.Respond(p, smpp.ROK, resp) })
		return
	}
	_ = se.conn.Respond(p, smpp.ROK, resp)
	se.srv.queue(rcpts...)
}

// enquire sends enquire_link every d until the session ends, closing it
// when one is not answered within d.
func (se *session) enquire(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-se.conn.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), d)
		resp, err := se.conn.Request(ctx, smpp.EnquireLink, nil)
		cancel()
		if err != nil || resp.ID != smpp.EnquireLinkResp {
			se.srv.log.Info("smsc simulator: enquire_link unanswered; closing the session", "system_id", se.systemID, "error", err)
			se.conn.Close()
			return
		}
		se.srv.links.Add(1)
	}
}
