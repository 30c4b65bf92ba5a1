package message

import (
	"bytes"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
)

// Context keys the host sets and the msg methods read. Momentum keeps these
// facts in the engine; msyshost keeps them in the contexts so they survive
// mstore and are visible to scripts under known names.
const (
	// KeyListenerAddr is the connection context's "ip:port" of the local
	// listener that received the message (msg:listener_addr).
	KeyListenerAddr = "msyshost:listener_addr"
	// KeyReceptionPeer is the connection context's "ip:port" of the remote
	// peer (msg:reception_peer).
	KeyReceptionPeer = "msyshost:reception_peer"
	// KeyDeliveryMethod is the message context's delivery method
	// (msg:get_delivery_method): "esmtp" when unset, "smpp", "mm7", ...
	KeyDeliveryMethod = "msyshost:delivery_method"
	// KeyMCMT is "1" in the message context of an MM7 multi-channel
	// message (msg:is_mcmt).
	KeyMCMT = "msyshost:mcmt"
)

// Ctx returns the context dictionary for a selector (CtxMess or CtxConn),
// creating it when needed; nil for an unknown selector.
func (m *Message) Ctx(which int) map[string]string {
	switch which {
	case CtxMess:
		if m.Context == nil {
			m.Context = map[string]string{}
		}
		return m.Context
	case CtxConn:
		if m.ConnContext == nil {
			m.ConnContext = map[string]string{}
		}
		return m.ConnContext
	}
	return nil
}

// ConnValue returns a connection fact, from the connection context, else
// the message context (a message loaded from mstore has only the latter).
func (m *Message) ConnValue(key string) string {
	if v, ok := m.ConnContext[key]; ok {
		return v
	}
	return m.Context[key]
}

// DeliveryMethod returns the message's delivery method, "esmtp" by default.
func (m *Message) DeliveryMethod() string {
	if v := m.Context[KeyDeliveryMethod]; v != "" {
		return v
	}
	return "esmtp"
}

// IsMCMT reports whether the message is an MM7 multi-channel message.
func (m *Message) IsMCMT() bool { return m.Context[KeyMCMT] == "1" }

// Size returns the message size in bytes (msg:get_message_size).
func (m *Message) Size() int { return len(m.Raw()) }

// HeaderValues returns the decoded values of the top-level header name.
func (m *Message) HeaderValues(name string) []string { return m.Root().Header.Values(name) }

// SetHeader sets top-level header fields (see Header.Set).
func (m *Message) SetHeader(name string, values []string, mode string) error {
	return m.Root().SetHeader(name, values, mode)
}

// DelHeader removes every top-level field named name.
func (m *Message) DelHeader(name string) bool { return m.Root().DelHeader(name) }

// Body returns everything after the header, transfer encoding untouched.
func (m *Message) Body() []byte {
	_, _, body := parseHeader(m.Raw())
	return body
}

// SetBody replaces everything after the header. A trailing SMTP
// end-of-data line (the ".\r\n" of CRLF.CRLF, which Momentum's msg:body
// asks callers to append) is dropped: msyshost keeps messages without it.
func (m *Message) SetBody(body []byte) {
	body = StripTerminator(body)
	raw := m.Raw()
	h, sep, _ := parseHeader(raw)
	if sep == "" {
		sep = lineBreak(raw)
	}
	var b bytes.Buffer
	b.Write(h.Bytes())
	b.WriteString(sep)
	b.Write(body)
	m.SetRaw(b.Bytes())
}

// StripTerminator drops a final SMTP end-of-data line: the ".\r\n" of a
// trailing "\r\n.\r\n" (or ".\n" of "\n.\n"), or a body that is only that
// line.
func StripTerminator(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n.\r\n")):
		return b[:len(b)-3]
	case bytes.HasSuffix(b, []byte("\n.\n")):
		return b[:len(b)-2]
	case string(b) == ".\r\n" || string(b) == ".\n":
		return b[:0]
	}
	return b
}

// RoutingDomainOf returns the domain that routes m (its channel, its
// config scope, its queue): the routing domain policy set
// (msg:routing_domain), else the recipient's domain; lower case.
func (m *Message) RoutingDomainOf() string {
	return RoutingDomain(m.RoutingDomain, m.RcptTo)
}

// RoutingDomain is RoutingDomainOf for a message known by its routing
// domain (set or "") and recipient: the one rule every part of msyshost
// routes, scopes and queues by.
func RoutingDomain(routingDomain, rcptTo string) string {
	if routingDomain != "" {
		return normalDomain(routingDomain)
	}
	return DomainOf(rcptTo)
}

// DomainOf returns the domain of an address, lower case and without a
// trailing dot (a fully qualified "example.com." is "example.com"); ""
// when it has none.
func DomainOf(addr string) string {
	_, d := SplitAddress(addr)
	return normalDomain(d)
}

func normalDomain(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}

// SplitAddress splits "local@domain" at the last @, stripping <> and
// white space; no @ gives the whole address as the local part.
func SplitAddress(addr string) (local, domain string) {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, ""
	}
	return addr[:i], addr[i+1:]
}

// Policy codes of Discard.
const (
	DiscardCode         = "550 5.7.0 discarded by policy"
	DiscardInternalCode = "550 5.7.1 [internal] discarded by policy"
)

var smtpCodePrefix = regexp.MustCompile(`^[2-5][0-9][0-9]([ -]|$)`)

// HasReplyCode reports whether text starts with an SMTP reply code, as
// FormatCode with num 0 needs.
func HasReplyCode(text string) bool { return smtpCodePrefix.MatchString(text) }

// CheckAddress refuses an envelope address that would break the SMTP
// command line it is written on: one holding CR, LF or NUL.
func CheckAddress(addr string) error {
	if strings.ContainsAny(addr, "\r\n\x00") {
		return fmt.Errorf("address %q holds a line break or NUL", addr)
	}
	return nil
}

// Discard drops the message silently (msg:discard). reason "" gives
// DiscardCode; a reason that does not start with an SMTP reply code gives
// DiscardInternalCode.
func (m *Message) Discard(reason string) {
	m.Discarded = true
	switch {
	case reason == "":
		m.Code = DiscardCode
	case smtpCodePrefix.MatchString(reason):
		m.Code = FormatCode(0, reason)
	default:
		m.Code = DiscardInternalCode
	}
}

// FormatCode builds an SMTP reply: with num 0 the code is taken from the
// start of text, else num is prefixed. Every line of a multi-line text
// carries the code, "-" after it on all but the last (RFC 5321 §4.2.1).
func FormatCode(num int, text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimRight(text, "\n")
	lines := strings.Split(text, "\n")
	code := strconv.Itoa(num)
	if num == 0 {
		code = ""
		if m := smtpCodePrefix.FindString(lines[0]); m != "" {
			code = m[:3]
		}
	}
	for i, l := range lines {
		if len(l) >= 3 && l[:3] == code && (len(l) == 3 || l[3] == ' ' || l[3] == '-') {
			l = strings.TrimLeft(l[3:], " -")
		}
		lines[i] = l
	}
	if code == "" {
		return strings.Join(lines, "\r\n")
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(code)
		if i < len(lines)-1 {
			b.WriteByte('-')
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return strings.TrimRight(b.String(), " ")
}

// Address components for AddressHeader.
const (
	CompAll       = "all"
	CompLocalpart = "localpart"
	CompUser      = "user"
	CompDetail    = "detail"
	CompDomain    = "domain"
)

// AddressHeader parses every instance of header name (in h) for RFC 2822
// addresses and returns the chosen component of each, in order.
// "user+detail@domain": localpart is "user+detail", user "user", detail
// "detail" ("" without a +), all the whole address.
func AddressHeader(h *Header, name, comp string) ([]string, error) {
	var out []string
	for _, v := range h.RawValues(name) {
		list, err := AddressList(v, comp)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// AddressList parses an RFC 2822 address list (a header value, not an SMTP
// path) and returns the chosen component of each address, as
// AddressHeader does.
func AddressList(v, comp string) ([]string, error) {
	switch comp {
	case "", CompAll, CompLocalpart, CompUser, CompDetail, CompDomain:
	default:
		return nil, fmt.Errorf("invalid address component %q (all, localpart, user, detail or domain)", comp)
	}
	var out []string
	for _, a := range parseAddresses(v) {
		local, domain := SplitAddress(a)
		user, detail, _ := strings.Cut(local, "+")
		switch comp {
		case "", CompAll:
			out = append(out, a)
		case CompLocalpart:
			out = append(out, local)
		case CompUser:
			out = append(out, user)
		case CompDetail:
			out = append(out, detail)
		case CompDomain:
			out = append(out, domain)
		}
	}
	return out, nil
}

var looseAddr = regexp.MustCompile(`[^\s<>,;:"()\[\]]+@[^\s<>,;:"()\[\]]+`)

// parseAddresses returns the addr-specs of an address list; when the list
// is not valid RFC 5322, it falls back to anything shaped like local@domain.
func parseAddresses(v string) []string {
	p := mail.AddressParser{WordDecoder: nil}
	if list, err := p.ParseList(v); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	return looseAddr.FindAllString(v, -1)
}

// Envelope flags, as msys.core.EC_MSG_ENV_*.
const (
	EnvFrom     = 1
	EnvTo       = 2
	EnvComplete = 4
)

// Envelope returns the envelope sender or recipient per flags
// (msg:get_envelope2): split into local part and domain, or with
// EnvComplete the bare address in local and "" in domain.
func (m *Message) Envelope(flags int) (local, domain string, err error) {
	var addr string
	switch flags &^ EnvComplete {
	case EnvFrom:
		addr = m.MailFrom
	case EnvTo:
		addr = m.RcptTo
	default:
		return "", "", fmt.Errorf("flags must hold exactly one of EC_MSG_ENV_FROM and EC_MSG_ENV_TO")
	}
	if flags&EnvComplete != 0 {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">"), "", nil
	}
	local, domain = SplitAddress(addr)
	return local, domain, nil
}

// HostPort returns the "ip", "port" or "all" part of an "ip:port" address
// ([v6]:port included); "" when there is none.
func HostPort(addr, flag string) (string, error) {
	switch flag {
	case "", "all":
		return addr, nil
	case "ip", "port":
	default:
		return "", fmt.Errorf("invalid flag %q (ip, port or all)", flag)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, ""
	}
	if flag == "ip" {
		return host, nil
	}
	return port, nil
}
