package mm7server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
)

// Message context keys Momentum sets on a received MM7 message.
const (
	CtxTransactionID = "MM7_Transaction_ID"
	CtxMMSCIPAddress = "MM7_MMSC_IP_Address"
)

// deliver turns a mobile-originated MM into an e-mail per recipient and
// injects it; the DeliverRsp goes out once the spool has it.
func (s *Server) deliver(ctx context.Context, w http.ResponseWriter, r *http.Request, env *mm7.Envelope, dr *mm7.DeliverReq, log *slog.Logger) {
	if s.opts.Injector == nil {
		s.fault(w, env, mm7.Status{Code: mm7.UnsupportedOperation, Text: "Unsupported operation",
			Details: "this VASP takes no mobile-originated messages"}, log)
		return
	}
	from, ok := s.email(dr.Sender, s.opts.FromDomain, s.opts.FromAddress)
	if !ok {
		s.fault(w, env, mm7.Status{Code: mm7.ServiceError, Text: "Service error",
			Details: "no mm7_server_default_email_from_domain or _address to turn the sender into an e-mail address"}, log)
		return
	}
	rcpts := dr.Recipients.All()
	if len(rcpts) == 0 {
		rcpts = []mm7.Address{{Kind: mm7.ShortCode, Value: dr.VASID}}
	}
	var to []string
	for _, a := range rcpts {
		addr, ok := s.email(a, s.opts.ToDomain, s.opts.ToAddress)
		if !ok {
			s.fault(w, env, mm7.Status{Code: mm7.ServiceError, Text: "Service error",
				Details: "no mm7_server_default_email_to_domain or _address to turn the recipient into an e-mail address"}, log)
			return
		}
		to = append(to, addr)
	}
	for _, addr := range append([]string{from}, to...) {
		if err := message.CheckAddress(addr); err != nil || strings.ContainsAny(addr, "<>, ") {
			s.fault(w, env, mm7.Status{Code: mm7.AddressError, Text: "Address Error", Details: fmt.Sprintf("%q is no e-mail address", addr)}, log)
			return
		}
	}
	raw := rfc5322(from, to, dr)
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	for _, rcpt := range to {
		m := message.FromRaw(from, rcpt, raw)
		m.Context[CtxTransactionID] = env.TransactionID
		m.Context[CtxMMSCIPAddress] = peer
		if err := s.opts.Injector.Inject(ctx, m); err != nil {
			s.fault(w, env, mm7.Status{Code: mm7.ServerError, Text: "Server Error", Details: "not queued; send it again"},
				log.With("error", err))
			return
		}
	}
	log.Info("mobile-originated MM queued", "from", from, "to", strings.Join(to, " "))
	s.answer(w, env, &mm7.DeliverRsp{MM7Version: s.version(dr.MM7Version), Status: mm7.NewStatus(mm7.Success)})
}

// email makes an e-mail address of an MM7 address.
func (s *Server) email(a mm7.Address, domain, fallback string) (string, bool) {
	switch {
	case a.Kind == mm7.RFC2822Address:
		return a.Value, true
	case domain != "" && a.Value != "":
		return strings.TrimPrefix(a.Value, "+") + "@" + domain, true
	case fallback != "":
		return fallback, true
	}
	return "", false
}

// rfc5322 writes the e-mail: envelope-like headers, then the MM content
// (its own Content-* header fields and body) as the message's MIME body.
func rfc5322(from string, to []string, dr *mm7.DeliverReq) []byte {
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
		return b.Bytes()
	}
	b.Write(dr.Content.Bytes())
	return b.Bytes()
}
