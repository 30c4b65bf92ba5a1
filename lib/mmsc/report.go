package mmsc

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/mm7"
)

// schedule posts the reports of one recipient: the Progress statuses, then
// the final one, each ReportDelay after the one before (the first at once
// with Early).
func (s *MMSC) schedule(req *mm7.SubmitReq, messageID string, rcpt mm7.Address) {
	final, ok := longestPrefix(s.opts.Statuses, rcpt.Value)
	if !ok {
		final = s.draw()
	}
	statuses := append(append([]string(nil), s.opts.Progress...), final)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			// A panic here would take the daemon down with the simulator.
			if p := recover(); p != nil {
				s.log.Error("delivery report goroutine panicked", "message_id", messageID, "panic", fmt.Sprint(p))
			}
		}()
		for i, st := range statuses {
			delay := s.opts.ReportDelay
			if i == 0 && s.opts.Early {
				delay = 0
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(delay):
			}
			dr := s.reportOf(req, messageID, rcpt, st)
			s.post(dr)
			if s.duplicate() {
				// A relay that lost the VASP's answer (or never waits
				// for it) sends the same report again.
				s.post(dr)
			}
		}
	}()
}

// duplicate reports whether the report just posted is one to post twice.
func (s *MMSC) duplicate() bool {
	if s.opts.DuplicateEvery <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posted++
	return s.posted%s.opts.DuplicateEvery == 0
}

// reportOf is the DeliveryReportReq of one recipient of a submission, in
// the relay's own release. Its Sender is the original MM's sender as the
// relay echoes it (SenderEcho), its Recipient the handset.
func (s *MMSC) reportOf(req *mm7.SubmitReq, messageID string, rcpt mm7.Address, status string) *mm7.DeliveryReportReq {
	// A request without a SenderAddress is reported as from the VAS
	// itself: relays put the VASP's provisioned identity there.
	sender := mm7.Address{Kind: mm7.ShortCode, Value: cmp.Or(req.VASID, req.VASPID, "0")}
	if req.SenderAddress != nil {
		sender = *req.SenderAddress
	}
	sender, rcpt = echo(s.opts.SenderEcho, sender, rcpt)
	return &mm7.DeliveryReportReq{
		MM7Version: mm7.VersionOf(s.opts.Schema), MMSRelayServerID: "msyshost-mmsc", MessageID: messageID,
		Recipient: rcpt, Sender: sender, Date: time.Now().UTC().Format(time.RFC3339),
		MMStatus: status, StatusText: statusTexts[status],
	}
}

// echo writes a report's Sender and Recipient as a relay of kind mode
// does (see the Echo constants).
func echo(mode string, sender, rcpt mm7.Address) (mm7.Address, mm7.Address) {
	v := sender.Value
	switch mode {
	case EchoPlus:
		if sender.Kind != mm7.RFC2822Address {
			sender = mm7.Address{Kind: mm7.Number, Value: "+" + strings.TrimPrefix(v, "+")}
		}
	case EchoPLMN:
		if sender.Kind != mm7.RFC2822Address {
			sender = mm7.Address{Kind: mm7.Number, Value: v + "/TYPE=PLMN"}
		}
	case EchoSwapped:
		return rcpt, sender
	case EchoBare:
		sender = mm7.Address{Value: v, Bare: true, Kind: sender.Kind}
	case EchoRewrite:
		if sender.Kind != mm7.RFC2822Address {
			sender = mm7.Address{Kind: mm7.Number, Value: "49" + strings.TrimPrefix(v, "+")}
		}
	}
	return sender, rcpt
}

// statusTexts are the explanations relays put beside an MMStatus.
var statusTexts = map[string]string{
	mm7.MMStatusRetrieved:               "Message retrieved by the recipient",
	mm7.MMStatusExpired:                 "Message expired before retrieval",
	mm7.MMStatusRejected:                "Message rejected by the recipient",
	mm7.MMStatusUnrecognised:            "Recipient unknown",
	mm7.MMStatusDeliveryConditionNotMet: "Recipient's terminal cannot show the content",
	mm7.MMStatusForwarded:               "Message forwarded to another relay",
	mm7.MMStatusDeferred:                "Recipient deferred retrieval",
	mm7.MMStatusIndeterminate:           "Delivery state unknown",
}

// draw picks a final status from the mix.
func (s *MMSC) draw() string {
	names := make([]string, 0, len(s.opts.Mix))
	total := 0
	for n, w := range s.opts.Mix {
		if w > 0 {
			names = append(names, n)
			total += w
		}
	}
	if total == 0 {
		return mm7.MMStatusRetrieved
	}
	sort.Strings(names) // map order must not change a seeded draw
	s.mu.Lock()
	x := s.rnd.IntN(total)
	s.mu.Unlock()
	for _, n := range names {
		x -= s.opts.Mix[n]
		if x < 0 {
			return n
		}
	}
	return names[len(names)-1]
}

// post sends one DeliveryReportReq, again after a growing pause while the
// VASP does not take it and the failure is one relays retry: no answer, an
// HTTP 5xx without an MM7 answer, or a status of class 3 or 4006 (the
// VASP's own trouble). A Client fault (a 2xxx or 4xxx status: the VASP
// cannot take the report as written) is not retried: it would fail the
// same way again.
func (s *MMSC) post(dr *mm7.DeliveryReportReq) {
	pause := s.opts.ReportDelay
	for attempt := 1; attempt <= s.opts.ReportAttempts; attempt++ {
		r, retry := s.postAttempt(s.ctx, dr, attempt)
		if r.Err == nil || r.Document == nil || !retry {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// postAttempt posts a report once and records the post; a report that
// cannot be written is logged and comes back without a Document. retry
// says whether a relay would send it again.
func (s *MMSC) postAttempt(ctx context.Context, dr *mm7.DeliveryReportReq, attempt int) (Report, bool) {
	tid := "dr-" + s.messageID()
	ct, body, err := mm7.Style{}.Encode(&mm7.Envelope{TransactionID: tid, Namespace: s.opts.Schema, Body: dr})
	if err != nil {
		s.log.Error("delivery report not written", "error", err)
		return Report{Request: dr, Attempt: attempt, Err: err}, false
	}
	ans, retry, err := s.postOnce(ctx, ct, body)
	r := Report{Request: dr, Document: body, Attempt: attempt, Answer: ans, Err: err}
	s.mu.Lock()
	s.reports = append(s.reports, r)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	if err == nil {
		s.log.Info("DeliveryReportReq taken", "message_id", dr.MessageID, "status", dr.MMStatus, "attempt", attempt)
	} else {
		s.log.Warn("DeliveryReportReq not taken", "message_id", dr.MessageID, "attempt", attempt, "error", err, "retry", retry)
	}
	return r, retry
}

// reportTarget is where reports go now, and the credentials they carry:
// ReportUser and ReportPassword when set, else the receiver's own.
func (s *MMSC) reportTarget() (url, user, password string) {
	url = s.opts.ReportURL
	if s.opts.ReportTo != nil {
		url, user, password = s.opts.ReportTo()
	}
	if s.opts.ReportUser != "" {
		user, password = s.opts.ReportUser, s.opts.ReportPassword
	}
	return url, user, password
}

// postOnce posts a report; err is set unless the VASP answered a
// DeliveryReportRsp with StatusCode 1000, and retry then says whether a
// relay would post it again (see post).
func (s *MMSC) postOnce(ctx context.Context, ct string, body []byte) (env *mm7.Envelope, retry bool, err error) {
	url, user, password := s.reportTarget()
	if url == "" {
		return nil, true, errors.New("no report URL: the VASP's receiver is not listening")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("SOAPAction", `""`)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, err
	}
	env, err = mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	if err != nil {
		return nil, resp.StatusCode/100 == 5, fmt.Errorf("HTTP %d, answer not MM7: %w", resp.StatusCode, err)
	}
	var st mm7.Status
	switch rsp := env.Body.(type) {
	case nil:
		if env.Fault.Detail == nil {
			return env, env.Fault.Code != "Client", fmt.Errorf("HTTP %d, fault %s %s", resp.StatusCode, env.Fault.Code, env.Fault.String)
		}
		st = env.Fault.Detail.Status
	case *mm7.DeliveryReportRsp:
		st = rsp.Status
	case *mm7.ErrorRsp:
		st = rsp.Status
	default:
		return env, false, fmt.Errorf("answered with %s", env.BodyName())
	}
	if st.Code == mm7.Success {
		return env, false, nil
	}
	return env, st.Code/1000 == 3 || st.Code == mm7.ServiceUnavailable, fmt.Errorf("HTTP %d, status %s", resp.StatusCode, st)
}

// ParseMix reads a status mix such as "Retrieved=8,Expired=1,Rejected=1".
func ParseMix(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, w, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("mix item %q is not Status=weight", item)
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("mix item %q: weight must be a whole number", item)
		}
		out[canonicalStatus(strings.TrimSpace(name))] = n
	}
	return out, nil
}

// canonicalStatus spells a status as TS 23.140 does.
func canonicalStatus(name string) string {
	for st := range statusTexts {
		if strings.EqualFold(st, name) {
			return st
		}
	}
	return name
}
