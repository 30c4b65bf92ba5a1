// Package route owns the choice of channel for a message leaving the
// spool: the delivery_method of its routing domain's config scope picks a
// channel registered under that name (smtp, the default, smpp or mm7). A
// config naming a method that has no channel is refused when it is loaded,
// so no message is ever routed nowhere.
package route

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

// OptDeliveryMethod is Momentum's delivery_method (binding, binding_group,
// domain and global scopes): ESMTP (the default) or SMTP, SMPP, MM7.
const OptDeliveryMethod = "delivery_method"

func init() {
	config.Declare(config.OptionSpec{Name: "Delivery_Method", Scopes: config.Fallback, Type: config.StringType, Default: "ESMTP",
		Help: "the channel of a domain's mail: ESMTP or SMTP (SMTP out), SMPP or MM7; a method without a configured channel fails the load"})
}

// Channel names, as channels are registered.
const (
	SMTP = "smtp"
	SMPP = "smpp"
	MM7  = "mm7"
)

// methods maps delivery_method values, lower-cased, to channel names.
var methods = map[string]string{"esmtp": SMTP, "smtp": SMTP, "smpp": SMPP, "mm7": MM7}

// unsupported are Momentum's other delivery methods, which msyshost does
// not carry: a config naming one is refused rather than silently mailed.
var unsupported = map[string]bool{"lmtp": true, "ecstream": true, "apn": true, "gcm": true}

var _ channel.Channel = (*Router)(nil)

// Router hands each message to the channel of its routing domain.
type Router struct {
	channels map[string]channel.Channel
	cfg      func() *config.Config
}

// New returns a router over channels, by name, reading each message's
// delivery_method from the config cfg returns (read per message, so a
// reload applies at once). It fails when that config routes a domain to a
// method without a channel, or when there is no smtp channel for the
// domains that name none.
func New(cfg func() *config.Config, channels map[string]channel.Channel) (*Router, error) {
	if channels[SMTP] == nil {
		return nil, fmt.Errorf("routing: no %s channel, which every domain without a delivery_method uses", SMTP)
	}
	r := &Router{channels: channels, cfg: cfg}
	if err := Check(cfg(), func(name string) bool { return channels[name] != nil }); err != nil {
		return nil, err
	}
	return r, nil
}

// Check reports the first delivery_method in cfg, in any scope, that names
// a method msyshost does not carry or one has(name) says has no channel.
// The error names the scope and where the option was set.
func Check(cfg *config.Config, has func(name string) bool) error {
	var walk func(n *config.Node, where string) error
	walk = func(n *config.Node, where string) error {
		for _, o := range n.Options {
			if !strings.EqualFold(o.Name, OptDeliveryMethod) {
				continue
			}
			v := strings.ToLower(strings.TrimSpace(o.Value.String()))
			name, ok := methods[v]
			switch {
			case o.Value.Kind() != config.Scalar:
				return &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("%s%s: expected one method, found %s", where, o.Name, o.Value.String())}
			case unsupported[v]:
				return &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("%s%s = %s: msyshost does not deliver by %s (it delivers by %s)", where, o.Name, o.Value.String(), o.Value.String(), known())}
			case !ok:
				return &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("%s%s = %s: unknown delivery method (known: %s)", where, o.Name, o.Value.String(), known())}
			case !has(name):
				return &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("%s%s = %s, but no %s channel is configured", where, o.Name, o.Value.String(), name)}
			}
		}
		for _, c := range n.Children {
			title := c.Kind
			if c.Named {
				title += fmt.Sprintf(" %q", c.Name)
			}
			if err := walk(c, where+title+": "); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(cfg.Root(), "")
}

func known() string {
	names := make([]string, 0, len(methods))
	for k := range methods {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Method returns the delivery_method m goes by: a channel name, or the
// config's own word when it names none msyshost has.
func (r *Router) Method(m *message.Message) string { return MethodOf(r.cfg(), m) }

// MethodOf returns the delivery_method m goes by in cfg: a channel name
// (smtp when none is set), or the config's own word when it names none
// msyshost has.
func MethodOf(cfg *config.Config, m *message.Message) string {
	v, ok := cfg.Eval(config.Scope{Domain: m.RoutingDomainOf(), Binding: m.Binding, BindingGroup: m.BindingGroup}, OptDeliveryMethod)
	if !ok {
		return SMTP
	}
	word := strings.ToLower(strings.TrimSpace(v.String()))
	if name, ok := methods[word]; ok {
		return name
	}
	return word
}

// Deliver hands m to its channel. A recipient without a domain is a
// permanent failure; a method without a channel (a config reloaded without
// Check) is a temporary one, so the message waits rather than being lost.
func (r *Router) Deliver(ctx context.Context, m *message.Message) error {
	if m.RoutingDomainOf() == "" {
		return &status.Error{Protocol: status.Spool, Code: 550, Enhanced: "5.1.3", Text: fmt.Sprintf("recipient <%s> has no domain to route by", m.RcptTo), Component: "router"}
	}
	name := r.Method(m)
	ch := r.channels[name]
	if ch == nil {
		return &status.Error{Protocol: status.Spool, Code: 451, Enhanced: "4.3.5", Text: fmt.Sprintf("delivery_method %q of domain %s has no channel; the message waits", name, m.RoutingDomainOf()), Temporary: true, Component: "router"}
	}
	return ch.Deliver(ctx, m)
}
