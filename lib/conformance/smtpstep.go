package conformance

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SMTPSession is an `smtp:` step: one SMTP session played in-process
// against SMTP in, through the listener code a socket's session takes.
type SMTPSession struct {
	// Client and Listener are the addresses the server sees the session
	// come from and arrive at.
	Client, Listener netip.AddrPort
	// Greeting is what the server's first reply must start with.
	Greeting string
	Items    []SMTPItem
}

// SMTPItem is one exchange of a session.
type SMTPItem struct {
	Line int
	// Send are command lines written at once (several: pipelined); Data
	// is a message sent after DATA's 354 (line ends become CRLF, lines
	// are dot-stuffed, the final "." is added unless Disconnect).
	Send []string
	Data *string
	// Replies are what each reply must start with, as read: its lines
	// joined by "\n", without CRLF. None: the replies are read, not
	// checked. Fewer than Send: the server must close the connection
	// after them (the next item is Closed).
	Replies []string
	// Disconnect: after Data's content the client goes away mid-DATA.
	Disconnect bool
	// Closed: the server must have closed the connection.
	Closed bool
}

// QueuedExpect is one message SMTP in must have queued in the step.
type QueuedExpect struct {
	From    *string // nil: not checked; "" the null sender
	To      string
	Headers map[string]string // header → its first value, exactly
	Body    string            // a substring of the message, headers included
	Context map[string]string // message context key → value
	Binding string
}

var (
	defaultClient   = netip.MustParseAddrPort("127.0.0.1:49152")
	defaultListener = netip.MustParseAddrPort("127.0.0.1:2525")
)

func (p *parser) smtp(n *yaml.Node, what string) (*SMTPSession, error) {
	what += " smtp"
	f, err := p.mapping(n, what, "client", "listener", "greeting", "session")
	if err != nil {
		return nil, err
	}
	s := &SMTPSession{Client: defaultClient, Listener: defaultListener, Greeting: "220"}
	for key, dst := range map[string]*netip.AddrPort{"client": &s.Client, "listener": &s.Listener} {
		v, ok := f[key]
		if !ok {
			continue
		}
		str, err := p.str(v, key)
		if err != nil {
			return nil, err
		}
		if *dst, err = addrPort(str, dst.Port()); err != nil {
			return nil, p.errf(v, "%s: %s: %v", what, key, err)
		}
	}
	if g, ok := f["greeting"]; ok {
		if s.Greeting, err = p.reply(g, "greeting"); err != nil {
			return nil, err
		}
	}
	items, ok := f["session"]
	if !ok {
		return nil, p.errf(n, "%s: missing required key \"session\"", what)
	}
	if items.Kind != yaml.SequenceNode || len(items.Content) == 0 {
		return nil, p.errf(items, "%s: session must be a list of exchanges", what)
	}
	for i, it := range items.Content {
		item, err := p.smtpItem(it, fmt.Sprintf("%s session item %d", what, i+1))
		if err != nil {
			return nil, err
		}
		if i > 0 {
			prev := s.Items[i-1]
			if prev.Closed || prev.Disconnect {
				// The connection is gone: nothing after it would be played.
				return nil, p.errf(it, "%s session item %d: nothing can follow %s: the connection is closed", what, i+1, endOf(prev))
			}
			// Fewer replies than pipelined commands: the server closes
			// the connection before it answers the rest.
			if len(prev.Replies) > 0 && len(prev.Replies) < len(prev.Send) && !item.Closed {
				return nil, p.errf(items.Content[i-1], "%s session item %d: %d replies for %d commands: the item after must be \"closed: true\"", what, i, len(prev.Replies), len(prev.Send))
			}
		}
		s.Items = append(s.Items, item)
	}
	if last := s.Items[len(s.Items)-1]; len(last.Replies) > 0 && len(last.Replies) < len(last.Send) {
		return nil, p.errf(items.Content[len(items.Content)-1], "%s: %d replies for %d commands: end with \"closed: true\"", what, len(last.Replies), len(last.Send))
	}
	return s, nil
}

func endOf(it SMTPItem) string {
	if it.Closed {
		return "\"closed: true\""
	}
	return "a disconnect mid-DATA"
}

func (p *parser) smtpItem(n *yaml.Node, what string) (SMTPItem, error) {
	it := SMTPItem{Line: n.Line}
	f, err := p.mapping(n, what, "send", "data", "reply", "disconnect", "closed")
	if err != nil {
		return it, err
	}
	var kinds []string
	for _, k := range []string{"send", "data", "closed"} {
		if _, ok := f[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		return it, p.errf(n, "%s must have exactly one of send, data, closed, has %v", what, kinds)
	}
	switch kinds[0] {
	case "send":
		v := f["send"]
		if v.Kind == yaml.SequenceNode {
			if it.Send, err = p.strs(v, "send"); err == nil && len(it.Send) == 0 {
				err = p.errf(v, "%s: send is an empty list", what)
			}
		} else {
			var line string
			line, err = p.str(v, "send")
			it.Send = []string{line}
		}
		if err != nil {
			return it, err
		}
		for i, l := range it.Send {
			if l == "" || strings.ContainsAny(l, "\r\n") {
				return it, p.errf(v, "%s: command %d must be one non-empty line", what, i+1)
			}
		}
	case "data":
		d, err := p.str(f["data"], "data")
		if err != nil {
			return it, err
		}
		it.Data = &d
	case "closed":
		if !p.isTrue(f["closed"]) {
			return it, p.errf(f["closed"], "%s: closed must be true", what)
		}
		it.Closed = true
	}
	if v, ok := f["disconnect"]; ok {
		if it.Data == nil {
			return it, p.errf(v, "%s: disconnect goes with data (the client leaves mid-DATA)", what)
		}
		if !p.isTrue(v) {
			return it, p.errf(v, "%s: disconnect must be true", what)
		}
		it.Disconnect = true
	}
	if v, ok := f["reply"]; ok {
		switch {
		case it.Closed || it.Disconnect:
			return it, p.errf(v, "%s: no reply comes after the connection closes", what)
		case v.Kind == yaml.SequenceNode:
			for _, c := range v.Content {
				r, err := p.reply(c, "reply")
				if err != nil {
					return it, err
				}
				it.Replies = append(it.Replies, r)
			}
		default:
			r, err := p.reply(v, "reply")
			if err != nil {
				return it, err
			}
			it.Replies = []string{r}
		}
		if want := max(len(it.Send), 1); len(it.Replies) > want {
			return it, p.errf(v, "%s: %d replies for %d commands", what, len(it.Replies), want)
		}
	}
	return it, nil
}

// reply reads an expected reply: a string (or a bare number) that starts
// with a three-digit code.
func (p *parser) reply(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, "%q must be a reply such as \"250\" or \"550 5.1.1 No such address\"", key)
	}
	r := n.Value
	if len(r) < 3 {
		return "", p.errf(n, "%q: %q does not start with a reply code", key, r)
	}
	if c, err := strconv.Atoi(r[:3]); err != nil || c < 200 || c > 599 || len(r) > 3 && r[3] != ' ' && r[3] != '-' {
		return "", p.errf(n, "%q: %q does not start with a reply code", key, r)
	}
	return r, nil
}

func (p *parser) isTrue(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && n.Value == "true"
}

// addrPort reads "ip" or "ip:port" (port defaults to def).
func addrPort(s string, def uint16) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not an address", s)
	}
	return netip.AddrPortFrom(a, def), nil
}

func (p *parser) queued(v *yaml.Node, what string) (*[]QueuedExpect, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, p.errf(v, "%s: queued must be a list", what)
	}
	list := []QueuedExpect{}
	for _, c := range v.Content {
		m, err := p.mapping(c, what+" queued entry", "from", "to", "headers", "body", "context", "binding")
		if err != nil {
			return nil, err
		}
		var q QueuedExpect
		if v, ok := m["from"]; ok {
			from, err := p.str(v, "from")
			if err != nil {
				return nil, err
			}
			q.From = &from
		}
		if q.To, err = p.need(m, c, "to", what+" queued entry"); err != nil {
			return nil, err
		}
		if q.Body, err = p.opt(m, "body"); err != nil {
			return nil, err
		}
		if q.Binding, err = p.opt(m, "binding"); err != nil {
			return nil, err
		}
		for key, dst := range map[string]*map[string]string{"headers": &q.Headers, "context": &q.Context} {
			if h, ok := m[key]; ok {
				if *dst, err = p.strMap(h, key); err != nil {
					return nil, err
				}
			}
		}
		list = append(list, q)
	}
	return &list, nil
}

func (p *parser) strMap(n *yaml.Node, key string) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%q must be a mapping", key)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v, err := p.str(n.Content[i+1], key+": "+n.Content[i].Value)
		if err != nil {
			return nil, err
		}
		out[n.Content[i].Value] = v
	}
	return out, nil
}
