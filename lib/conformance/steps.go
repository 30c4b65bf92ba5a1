package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/retry"
	"msyshost/lib/route"
)

// submit builds the message a client would have sent and runs the retry
// flow as if the SMSC or MMSC had accepted it. The hint explains, for a
// failed `stored` expectation, why the submission was not tracked.
func (r *run) submit(ctx context.Context, s *Submit) (string, error) {
	m := message.FromRaw(s.From, s.To, r.rfc5322(s))
	domain := domainOf(s.To)
	scope := config.Scope{Binding: s.Binding, Domain: domain}
	sub := retry.Submission{
		Message: m, IDs: s.MsgIDs, Shortcode: s.Shortcode,
		Binding: s.Binding, Domain: domain,
	}
	var hint string
	if s.Via == "mm7" {
		// The MM7 channel decides with the same policy (lib/mm7client).
		p, err := retry.MM7PolicyOf(r.p.Config(), scope)
		if err != nil {
			return "", err
		}
		if len(s.MsgIDs) > 1 {
			return "", fmt.Errorf("an MM7 submission has one MessageID, not %d", len(s.MsgIDs))
		}
		sub = p.Submission(m, s.MsgIDs[0], s.Shortcode, s.Binding, domain)
		if why := p.Why(domain); why != "" {
			hint = " (" + why + ")"
		}
	} else {
		sub.Channel = retry.SMPP
		var err error
		if _, sub.Save, hint, err = retry.SMPPTracking(r.p.Config(), scope); err != nil {
			return "", err
		}
	}
	_, err := r.p.Retry.Submitted(ctx, sub)
	return hint, err
}

// deliver hands a message to the channel its domain's delivery_method
// names, as the spool would; it returns once the peer accepted it (and it
// was stored, when its receipt was asked for). Its receipts come back
// over the network.
func (r *run) deliver(ctx context.Context, d *Deliver) error {
	m := message.FromRaw(d.From, d.To, r.rfc5322(&Submit{From: d.From, To: d.To, Body: d.Body, Headers: d.Headers,
		MsgIDs: []string{fmt.Sprintf("deliver%d", r.clock.Now().UnixNano())}}))
	m.Binding = d.Binding
	method := route.MethodOf(r.p.Config(), m)
	ch, ok := r.p.Channel(method)
	if !ok {
		return fmt.Errorf("no %s channel for %s: a scenario delivers over the network only to the peers it names (peers: [%s])",
			method, domainOf(d.To), strings.Join(KnownPeers, ", "))
	}
	return ch.Deliver(ctx, m)
}

func (r *run) rfc5322(s *Submit) []byte {
	h := map[string]string{}
	for k, v := range s.Headers {
		h[k] = v
	}
	set := func(k, v string) {
		for have := range h {
			if strings.EqualFold(have, k) {
				return
			}
		}
		h[k] = v
	}
	set("From", s.From)
	set("To", s.To)
	set("Date", r.clock.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	set("Message-ID", fmt.Sprintf("<%s@msyshost.test>", strings.Join(s.MsgIDs, ".")))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, h[k])
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s.Body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

func domainOf(addr string) string {
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		return strings.ToLower(strings.Trim(addr[i+1:], "> "))
	}
	return ""
}

func (r *run) receipt(ctx context.Context, rc *Receipt) error {
	rc = &Receipt{Via: rc.Via, Bucket: r.expand(rc.Bucket), MsgID: r.expand(rc.MsgID), Status: rc.Status, Err: rc.Err}
	rr := retry.Receipt{Channel: retry.SMPP, Bucket: rc.Bucket, ID: rc.MsgID, Status: rc.Status, Detail: rc.Err}
	if rc.Via == "mm7" {
		// The trx table has the shape the MM7 receiver gives it.
		rr = retry.MM7Report{
			MessageID: rc.MsgID, Status: rc.Status, StatusText: rc.Err,
			TransactionID: "scenario-" + rc.MsgID,
		}.Receipt(rc.Bucket)
	}
	_, err := r.p.Retry.Receipt(ctx, rr)
	return err
}

// write changes a script and reloads the host, as a policy author saving
// the file would. The change goes to a copy in the scenario's temporary
// folder, never to the file itself: the copy shadows the original for
// require and config sources, and replaces it in the scenario's scripts.
func (r *run) write(ctx context.Context, w *Write) error {
	orig := w.File
	if !filepath.IsAbs(orig) {
		orig = filepath.Join(filepath.Dir(r.s.File), orig)
	}
	orig = filepath.Clean(orig)
	cp, ok := r.copies[orig]
	if !ok {
		cp = r.copyPath(orig)
		r.copies[orig] = cp
	}
	if err := os.MkdirAll(filepath.Dir(cp), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cp, []byte(w.Content), 0o644); err != nil {
		return err
	}
	return r.p.ReplaceScript(ctx, orig, cp)
}

func (r *run) overlay() string { return filepath.Join(r.dir, "overlay") }

// copyPath places a file's copy in the overlay at its path relative to the
// search folder holding it, so `require` finds the copy first.
func (r *run) copyPath(orig string) string {
	for _, d := range r.search {
		if rel, err := filepath.Rel(d, orig); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join(r.overlay(), rel)
		}
	}
	abs, err := filepath.Abs(orig)
	if err != nil {
		abs = orig
	}
	// Mirrored by full path, so two files of the same name never share a copy.
	return filepath.Join(r.dir, "outside", abs)
}
