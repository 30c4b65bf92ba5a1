// Package dsn owns bounces: the RFC 3464 delivery status notification a
// failed message's envelope sender gets (multipart/report, RFC 6522), sent
// from the null reverse path so it can never bounce itself, with as much of
// the original as Bounces_Inline_Original says. It implements spool.Bouncer
// (the retry core's bounces, queued through the injector) and
// spool.Renderer (the spool's own, queued with the failed message's
// removal).
package dsn

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// Options read from the config scopes of the failed message's routing
// domain (binding, binding_group, domain and global; conf.ref.*).
const (
	// OptGenerateBounces (default true): false sends no bounce.
	OptGenerateBounces = "generate_bounces"
	// OptBouncesInlineOriginal is none, headers (the default) or all.
	OptBouncesInlineOriginal = "bounces_inline_original"
	// OptMailerDaemon is the From of bounces; default
	// mailer-daemon@<hostname>.
	OptMailerDaemon = "mailerdaemon"
)

func init() {
	config.Declare(config.OptionSpec{Name: "Generate_Bounces", Scopes: config.Fallback, Type: config.BoolType, Default: "true",
		Help: "bounce a message that failed for good to its envelope sender"})
	config.Declare(config.OptionSpec{Name: "Bounces_Inline_Original", Scopes: config.Fallback, Type: config.EnumType,
		Values: []string{"none", "headers", "all"}, Default: "headers",
		Help: "how much of the failed message a bounce carries"})
	config.Declare(config.OptionSpec{Name: "mailerdaemon", Scopes: config.Fallback, Type: config.StringType,
		Help: "From of bounces; default mailer-daemon@<Hostname>"})
}

var (
	_ spool.Bouncer  = (*Bouncer)(nil)
	_ spool.Renderer = (*Bouncer)(nil)
)

// Bouncer renders bounces and, through Injector, queues them.
type Bouncer struct {
	// Injector queues the bounces Bounce renders: the spool.
	Injector spool.Injector
	// Config returns the config the options are read from; nil means
	// Momentum's defaults.
	Config func() *config.Config
	// Hostname names this MTA when the config sets no Hostname; empty
	// means the machine's.
	Hostname string
	// Now stamps the bounce; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Bounce renders b and queues it; a bounce not owed (null sender, bounces
// off in scope) is nil.
func (bc *Bouncer) Bounce(ctx context.Context, b spool.Bounce) error {
	m, err := bc.Render(ctx, b)
	if err != nil || m == nil {
		return err
	}
	if err := bc.Injector.Inject(ctx, m); err != nil {
		return fmt.Errorf("queueing the bounce to <%s>: %w", b.To, err)
	}
	return nil
}

// Render builds the bounce of b: from <> to b.To. It returns nil when no
// bounce is owed: the original came from the null sender (RFC 3464 and
// RFC 5321 6.1: never a bounce to a bounce), or Generate_Bounces is false
// in the original's scope.
func (bc *Bouncer) Render(_ context.Context, b spool.Bounce) (*message.Message, error) {
	if b.To == "" || b.Message == nil {
		return nil, nil
	}
	orig := b.Message
	cfg := bc.config()
	scope := config.Scope{Domain: orig.RoutingDomainOf(), Binding: orig.Binding, BindingGroup: orig.BindingGroup}
	if v, ok := cfg.Eval(scope, OptGenerateBounces); ok {
		on, err := v.Bool()
		if err != nil {
			return nil, err
		}
		if !on {
			bc.log().Info("dsn: Generate_Bounces is off; no bounce", "to", b.To, "original", orig.ID)
			return nil, nil
		}
	}
	inline := "headers"
	if v, ok := cfg.Eval(scope, OptBouncesInlineOriginal); ok {
		switch s := strings.ToLower(v.String()); s {
		case "none", "headers", "all":
			inline = s
		default:
			return nil, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: expected none, headers or all, found %q", OptBouncesInlineOriginal, v.String())}
		}
	}
	host := config.Hostname(cfg, bc.Hostname)
	from := "mailer-daemon@" + host
	if v, ok := cfg.Eval(scope, OptMailerDaemon); ok && v.String() != "" {
		from = v.String()
	}
	now := bc.now()
	raw := render(report{
		host: host, from: from, to: b.To, now: now,
		recipient: orig.RcptTo, reason: b.Reason, err: b.Err,
		original: orig.Raw(), inline: inline, id: orig.ID,
	})
	m := message.FromRaw("", b.To, raw)
	return m, nil
}

// report is what one bounce says.
type report struct {
	host, from, to string
	now            time.Time
	recipient      string
	reason         string
	err            *status.Error
	original       []byte
	inline         string // none, headers or all
	id             string // the original's queue id
}

// render writes the notification: a human-readable part, the
// message/delivery-status part (RFC 3464 2.1: per-message fields, a blank
// line, per-recipient fields) and the original or its header section.
func render(r report) []byte {
	boundary := "=_msyshost_" + token(12)
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(fold(k+": "+v) + "\r\n") }
	h("From", r.from)
	h("To", "<"+r.to+">")
	h("Subject", "Delivery failure: "+subjectOf(r.original))
	h("Date", r.now.Format(time.RFC1123Z))
	h("Message-ID", "<"+token(16)+"@"+r.host+">")
	h("Auto-Submitted", "auto-replied") // RFC 3834: no automatic reply to this
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/report; report-type=delivery-status; boundary="`+boundary+`"`)
	b.WriteString("\r\nThis is a MIME-formatted delivery status notification.\r\n")

	part := func(ctype string, extra ...string) {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Type: " + ctype + "\r\n")
		for _, e := range extra {
			b.WriteString(e + "\r\n")
		}
		b.WriteString("\r\n")
	}
	part("text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit")
	fmt.Fprintf(&b, "This is the mail system at %s.\r\n\r\n", r.host)
	fmt.Fprintf(&b, "Your message could not be delivered to <%s>; no further attempts will be made.\r\n\r\n", r.recipient)
	fmt.Fprintf(&b, "Reason: %s\r\n", oneLine(r.reason))

	part("message/delivery-status")
	h("Reporting-MTA", "dns; "+r.host)
	if r.id != "" {
		h("X-Msyshost-Queue-ID", oneLine(r.id))
	}
	b.WriteString("\r\n")
	h("Final-Recipient", recipientField(oneLine(r.recipient)))
	h("Action", "failed")
	h("Status", statusCode(r.err))
	if d := diagnostic(r.err, r.reason); d != "" {
		h("Diagnostic-Code", d)
	}
	h("Last-Attempt-Date", r.now.Format(time.RFC1123Z))

	switch r.inline {
	case "headers":
		part("text/rfc822-headers")
		b.Write(crlf(headerSection(r.original)))
	case "all":
		// RFC 2045 2.7-2.8: 7bit and 8bit are lines of at most 998
		// octets; longer ones make the body binary.
		enc := "7bit"
		switch {
		case longestLine(r.original) > 998:
			enc = "binary"
		case message.Has8Bit(r.original):
			enc = "8bit"
		}
		part("message/rfc822", "Content-Transfer-Encoding: "+enc)
		b.Write(crlf(r.original))
		if !bytes.HasSuffix(r.original, []byte("\n")) {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}

// statusCode is the Status field (RFC 3463): the failure's own enhanced
// code when it has a permanent one, its detail under class 5 when it is
// temporary (the message failed for good all the same), else 5.0.0.
func statusCode(e *status.Error) string {
	if e == nil || e.Enhanced == "" {
		return "5.0.0"
	}
	if strings.HasPrefix(e.Enhanced, "5.") {
		return e.Enhanced
	}
	if _, rest, ok := strings.Cut(e.Enhanced, "."); ok {
		return "5." + rest
	}
	return "5.0.0"
}

// diagnostic is the Diagnostic-Code field: the remote SMTP reply when an
// SMTP server gave one ("smtp" type, RFC 3464 2.3.6), otherwise what
// msyshost knows, typed X-msyshost.
func diagnostic(e *status.Error, reason string) string {
	for cur := e; cur != nil; {
		if cur.Protocol == status.SMTP && cur.Code != 0 {
			s := fmt.Sprintf("smtp; %d", cur.Code)
			if cur.Enhanced != "" {
				s += " " + cur.Enhanced
			}
			if cur.Text != "" {
				s += " " + cur.Text
			}
			return oneLine(s)
		}
		next, ok := status.Of(cur.Err)
		if !ok {
			break
		}
		cur = next
	}
	if reason == "" {
		return ""
	}
	return "X-msyshost; " + oneLine(reason)
}

// headerSection returns the original's header fields, up to the first
// blank line, however its lines end.
func headerSection(raw []byte) []byte {
	end := -1
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 && (end < 0 || i+len(sep)/2 < end) {
			end = i + len(sep)/2
		}
	}
	if end < 0 {
		return raw
	}
	return raw[:end]
}

// fold breaks a header field at spaces so its lines stay within 78
// octets where it can, and within 998 always (RFC 5322 2.1.1, 2.2.3): a
// word too long for a line is cut.
func fold(field string) string {
	const soft, hard = 78, 998
	var b strings.Builder
	line := 0
	for i, w := range strings.Split(field, " ") {
		for len(w) > hard-1 {
			if line > 0 {
				b.WriteString("\r\n ")
			}
			b.WriteString(w[:hard-1])
			w, line = w[hard-1:], hard
		}
		switch {
		case i == 0:
		case line+1+len(w) > soft && line > 0:
			b.WriteString("\r\n ")
			line = 1
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// recipientField is the Final-Recipient field's value: an rfc822 address,
// or for one with non-ASCII characters the utf-8 type of RFC 6533 3, its
// non-ASCII characters (and '+', '=', '\\') written \x{HEX}.
func recipientField(addr string) string {
	if !message.Has8Bit([]byte(addr)) {
		return "rfc822; " + addr
	}
	var b strings.Builder
	for _, r := range addr {
		if r >= 0x80 || r == '+' || r == '=' || r == '\\' || r < 0x21 {
			fmt.Fprintf(&b, "\\x{%X}", r)
			continue
		}
		b.WriteRune(r)
	}
	return "utf-8; " + b.String()
}

func longestLine(b []byte) int {
	longest := 0
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		longest = max(longest, len(bytes.TrimSuffix(b[:i], []byte("\r"))))
		b = b[min(i+1, len(b)):]
	}
	return longest
}

func subjectOf(raw []byte) string {
	for _, line := range strings.Split(string(crlf(headerSection(raw))), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "subject") {
			dec := new(mime.WordDecoder)
			if s, err := dec.DecodeHeader(strings.TrimSpace(v)); err == nil {
				v = s
			}
			return mime.QEncoding.Encode("utf-8", oneLine(strings.TrimSpace(v)))
		}
	}
	return "(no subject)"
}

// crlf turns bare LF line ends into CRLF, so the bounce has one kind.
func crlf(b []byte) []byte {
	var out bytes.Buffer
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out.WriteByte('\r')
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

// oneLine keeps a value on one header line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

func token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (bc *Bouncer) config() *config.Config {
	if bc.Config != nil {
		if c := bc.Config(); c != nil {
			return c
		}
	}
	c, _ := config.Parse("(defaults)", nil)
	return c
}

func (bc *Bouncer) now() time.Time {
	if bc.Now != nil {
		return bc.Now()
	}
	return time.Now()
}

func (bc *Bouncer) log() *slog.Logger {
	if bc.Logger != nil {
		return bc.Logger
	}
	return slog.New(slog.DiscardHandler)
}
