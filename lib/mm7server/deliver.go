package mm7server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
)

// Message context keys Momentum sets on a received MM7 message.
const (
	CtxTransactionID = "MM7_Transaction_ID"
	CtxMMSCIPAddress = "MM7_MMSC_IP_Address"
)

// A relay that gets no DeliverRsp sends the DeliverReq again with the same
// TransactionID; what was injected for it is remembered this long (and at
// most this many recipients), so the resend injects only what is missing.
const (
	moMemory  = 24 * time.Hour
	moEntries = 1 << 16
)

// deliver turns a mobile-originated MM into an e-mail per recipient and
// injects it; the DeliverRsp goes out once the spool has them all.
func (s *Server) deliver(ctx context.Context, w http.ResponseWriter, r *http.Request, env *mm7.Envelope, dr *mm7.DeliverReq, log *slog.Logger) {
	if s.opts.Injector == nil {
		s.fault(w, env, mm7.Status{Code: mm7.UnsupportedOperation, Details: "this VASP takes no mobile-originated messages"}, "", log)
		return
	}
	from, ok := s.sender(dr.Sender)
	if !ok {
		s.fault(w, env, mm7.Status{Code: mm7.ServiceError,
			Details: "no mm7_server_default_email_from_domain or _address to turn the sender into an e-mail address"}, "", log)
		return
	}
	rcpts := dr.Recipients.All()
	if len(rcpts) == 0 {
		rcpts = []mm7.Address{{Kind: mm7.ShortCode, Value: dr.VASID}}
	}
	var to []string
	for _, a := range rcpts {
		addr, ok := s.recipient(a)
		if !ok {
			s.fault(w, env, mm7.Status{Code: mm7.ServiceError,
				Details: "no mm7_server_default_email_to_domain or _address to turn the recipient into an e-mail address"}, "", log)
			return
		}
		if !slices.Contains(to, addr) {
			to = append(to, addr)
		}
	}
	for _, addr := range append([]string{from}, to...) {
		if err := message.CheckAddress(addr); err != nil || strings.ContainsAny(addr, "<>, \r\n") {
			s.fault(w, env, mm7.Status{Code: mm7.AddressError, Details: fmt.Sprintf("%q is no e-mail address", addr)}, "", log)
			return
		}
	}
	raw, err := rfc5322(from, to, dr)
	if err != nil {
		s.fault(w, env, mm7.Status{Code: mm7.MessageFormatCorrupt, Details: err.Error()}, "", log)
		return
	}
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	for _, rcpt := range to {
		id := env.TransactionID + "\x00" + from + "\x00" + rcpt
		if env.TransactionID != "" && s.mo.has(id) {
			log.Info("mobile-originated MM sent again; this recipient's copy is queued already", "to", rcpt)
			continue
		}
		m := message.FromRaw(from, rcpt, raw)
		m.Context[CtxTransactionID] = env.TransactionID
		m.Context[CtxMMSCIPAddress] = peer
		if err := s.opts.Injector.Inject(ctx, m); err != nil {
			s.fault(w, env, mm7.Status{Code: mm7.ServerError, Details: "not queued; send it again"}, "", log.With("error", err))
			return
		}
		if env.TransactionID != "" {
			s.mo.add(id)
		}
	}
	log.Info("mobile-originated MM queued", "from", from, "to", strings.Join(to, " "))
	s.answer(w, env, &mm7.DeliverRsp{MM7Version: s.version(env, dr.MM7Version), Status: mm7.NewStatus(mm7.Success)}, log)
}

// sender makes an e-mail address of an MO message's sender: the
// subscriber's own e-mail address, or number@FromDomain, or FromAddress.
func (s *Server) sender(a mm7.Address) (string, bool) {
	switch {
	case a.Kind == mm7.RFC2822Address:
		return a.Value, true
	case s.opts.FromDomain != "" && a.Value != "":
		return strings.TrimPrefix(a.Value, "+") + "@" + s.opts.FromDomain, true
	case s.opts.FromAddress != "":
		return s.opts.FromAddress, true
	}
	return "", false
}

// recipient makes an e-mail address of an MO message's recipient, always
// in ToDomain or ToAddress: the relay names the recipient, and a relay (or
// whoever reaches the receiver) must not be able to send mail anywhere
// through msyshost. An e-mail recipient keeps its local part.
func (s *Server) recipient(a mm7.Address) (string, bool) {
	v := strings.TrimPrefix(a.Value, "+")
	if a.Kind == mm7.RFC2822Address {
		v = a.Value
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			v = v[:i]
		}
	}
	switch {
	case s.opts.ToDomain != "" && v != "":
		return v + "@" + s.opts.ToDomain, true
	case s.opts.ToAddress != "":
		return s.opts.ToAddress, true
	}
	return "", false
}

// rfc5322 writes the e-mail: envelope-like headers, then the MM content as
// the message's MIME body (mailContent).
func rfc5322(from string, to []string, dr *mm7.DeliverReq) ([]byte, error) {
	var b bytes.Buffer
	date := time.Now()
	if t, err := time.Parse(time.RFC3339, dr.TimeStamp); err == nil {
		date = t
	}
	fmt.Fprintf(&b, "From: <%s>\r\nTo: %s\r\nDate: %s\r\n", from, "<"+strings.Join(to, ">, <")+">", date.Format(time.RFC1123Z))
	// The subject is one line whatever the relay's XML held.
	if subject := strings.Join(strings.Fields(dr.Subject), " "); subject != "" {
		fmt.Fprintf(&b, "Subject: %s\r\n", message.EncodeHeader(subject))
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	if dr.Content == nil {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n\r\n")
		return b.Bytes(), nil
	}
	c, err := mailContent(dr.Content, 0)
	if err != nil {
		return nil, fmt.Errorf("MM content: %w", err)
	}
	b.Write(c.Bytes())
	return b.Bytes(), nil
}

// mailContent makes an MM's content fit to be the body of an e-mail: of
// each entity only the Content-* header fields (the relay's attachment may
// carry any field, a From or Bcc among them, which must not become the
// e-mail's), and every leaf whose body is not 7-bit text in lines SMTP
// carries (binary pictures sent with Content-Transfer-Encoding: binary)
// base64-encoded.
func mailContent(e *mm7.Entity, depth int) (*mm7.Entity, error) {
	out := &mm7.Entity{}
	for _, f := range e.Header {
		if strings.HasPrefix(strings.ToLower(f.Name), "content-") {
			out.Header = append(out.Header, f)
		}
	}
	if e.IsMultipart() && depth < mm7.DefaultLimits.PartDepth {
		parts, err := e.Parts()
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			if parts[i], err = mailContent(p, depth+1); err != nil {
				return nil, err
			}
		}
		mt, params := e.MediaType()
		delete(params, "boundary")
		mp := mm7.NewMultipart(mt, mm7.NewBoundary(), params, parts)
		out.Set("Content-Type", mp.Get("Content-Type"))
		out.Body = mp.Body
		removeField(out, "Content-Transfer-Encoding")
		return out, nil
	}
	switch strings.ToLower(strings.TrimSpace(e.Get("Content-Transfer-Encoding"))) {
	case "base64", "quoted-printable":
		out.Body = e.Body
		return out, nil
	}
	if sevenBit(e.Body) {
		// 7-bit whatever the label said (8bit, binary).
		removeField(out, "Content-Transfer-Encoding")
		out.Body = e.Body
		return out, nil
	}
	out.Set("Content-Transfer-Encoding", "base64")
	out.Body = base64Lines(e.Body)
	return out, nil
}

func removeField(e *mm7.Entity, name string) {
	kept := e.Header[:0]
	for _, f := range e.Header {
		if !strings.EqualFold(f.Name, name) {
			kept = append(kept, f)
		}
	}
	e.Header = kept
}

// sevenBit reports a body SMTP carries as it is (RFC 5322 §2.3, RFC 2045
// §2.7): ASCII without NUL, CR and LF only as CRLF, lines of at most 998
// characters.
func sevenBit(b []byte) bool {
	line := 0
	for i, c := range b {
		switch {
		case c == 0 || c >= 0x80:
			return false
		case c == '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return false
			}
		case c == '\n':
			if i == 0 || b[i-1] != '\r' {
				return false
			}
			line = -1
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

// base64Lines encodes b in lines of 76 characters (RFC 2045 §6.8).
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc + "\r\n")
	return out.Bytes()
}

// recent remembers keys for a while, bounded in number: the oldest go first.
type recent struct {
	mu     sync.Mutex
	period time.Duration
	limit  int
	keys   map[string]time.Time
	order  []string
}

func newRecent(period time.Duration, limit int) *recent {
	return &recent{period: period, limit: limit, keys: map[string]time.Time{}}
}

func (s *recent) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.keys[k]
	return ok && time.Since(at) < s.period
}

func (s *recent) add(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for len(s.order) > 0 && (len(s.order) >= s.limit || now.Sub(s.keys[s.order[0]]) >= s.period) {
		delete(s.keys, s.order[0])
		s.order = s.order[1:]
	}
	if _, ok := s.keys[k]; !ok {
		s.order = append(s.order, k)
	}
	s.keys[k] = now
}
