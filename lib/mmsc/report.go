package mmsc

import (
	"bytes"
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
// the final one, each ReportDelay after the one before.
func (s *MMSC) schedule(ns string, req *mm7.SubmitReq, messageID string, rcpt mm7.Address) {
	final, ok := longestPrefix(s.opts.Statuses, rcpt.Value)
	if !ok {
		final = s.draw()
	}
	statuses := append(append([]string(nil), s.opts.Progress...), final)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, st := range statuses {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.opts.ReportDelay):
			}
			s.post(ns, reportOf(req, messageID, rcpt, st))
		}
	}()
}

// reportOf is the DeliveryReportReq of one recipient of a submission. Its
// Sender is the original MM's sender as the VASP wrote it, its Recipient
// the handset: relays echo the submission's addresses.
func reportOf(req *mm7.SubmitReq, messageID string, rcpt mm7.Address, status string) *mm7.DeliveryReportReq {
	sender := mm7.Address{Kind: mm7.ShortCode, Value: firstOf(req.VASID, req.VASPID, "0")}
	if req.SenderAddress != nil {
		sender = *req.SenderAddress
	}
	return &mm7.DeliveryReportReq{
		MM7Version: req.MM7Version, MMSRelayServerID: "msyshost-mmsc", MessageID: messageID,
		Recipient: rcpt, Sender: sender, Date: time.Now().UTC().Format(time.RFC3339),
		MMStatus: status, StatusText: statusTexts[status],
	}
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
// VASP does not take it: relays queue reports and retry a few times before
// dropping them.
func (s *MMSC) post(ns string, dr *mm7.DeliveryReportReq) {
	pause := s.opts.ReportDelay
	for attempt := 1; attempt <= s.opts.ReportAttempts; attempt++ {
		r := s.postAttempt(s.ctx, ns, dr, attempt)
		if r.Err == nil || r.Document == nil {
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
// cannot be written is logged and comes back without a Document.
func (s *MMSC) postAttempt(ctx context.Context, ns string, dr *mm7.DeliveryReportReq, attempt int) Report {
	tid := "dr-" + s.messageID()
	ct, body, err := mm7.Style{}.Encode(&mm7.Envelope{TransactionID: tid, Namespace: ns, Body: dr})
	if err != nil {
		s.log.Error("delivery report not written", "error", err)
		return Report{Request: dr, Attempt: attempt, Err: err}
	}
	ans, err := s.postOnce(ctx, ct, body)
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
		s.log.Warn("DeliveryReportReq not taken", "message_id", dr.MessageID, "attempt", attempt, "error", err)
	}
	return r
}

// reportURL is where reports go now.
func (s *MMSC) reportURL() string {
	if s.opts.ReportTo != nil {
		return s.opts.ReportTo()
	}
	return s.opts.ReportURL
}

// postOnce posts a report; err is set unless the VASP answered a
// DeliveryReportRsp with StatusCode 1000.
func (s *MMSC) postOnce(ctx context.Context, ct string, body []byte) (*mm7.Envelope, error) {
	url := s.reportURL()
	if url == "" {
		return nil, errors.New("no report URL: the VASP's receiver is not listening")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("SOAPAction", `""`)
	if s.opts.ReportUser != "" {
		req.SetBasicAuth(s.opts.ReportUser, s.opts.ReportPassword)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	env, err := mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	if err != nil {
		return nil, fmt.Errorf("HTTP %d, answer not MM7: %w", resp.StatusCode, err)
	}
	if env.Fault != nil {
		if env.Fault.Detail != nil {
			return env, fmt.Errorf("HTTP %d, fault %s", resp.StatusCode, env.Fault.Detail.Status)
		}
		return env, fmt.Errorf("HTTP %d, fault %s", resp.StatusCode, env.Fault.String)
	}
	rsp, ok := env.Body.(*mm7.DeliveryReportRsp)
	if !ok {
		return env, fmt.Errorf("answered with %s", env.Body.Name())
	}
	if rsp.Status.Code != mm7.Success {
		return env, fmt.Errorf("DeliveryReportRsp status %s", rsp.Status)
	}
	return env, nil
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

// firstOf returns the first non-empty value. A request without a
// SenderAddress is reported as from the VAS itself, as relays put the
// VASP's provisioned identity there.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
