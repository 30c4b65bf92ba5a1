package route

import (
	"context"
	"strings"
	"testing"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

const conf = `
Domain "smpp.example.com" { delivery_method = smpp }
Domain "mm7.example.com" { Delivery_Method = MM7 }
Domain "/\.sms\.example$/" { delivery_method = SMPP }
Binding "mobile" {
  Domain "special.example" { delivery_method = mm7 }
}
Domain "mail.example" { delivery_method = ESMTP }
`

type recorder struct {
	name string
	got  *[]string
}

func (r recorder) Deliver(_ context.Context, m *message.Message) error {
	*r.got = append(*r.got, r.name+" "+m.RcptTo)
	return nil
}

func parse(t *testing.T, text string) func() *config.Config {
	t.Helper()
	cfg, err := config.Parse("route.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return func() *config.Config { return cfg }
}

func TestRoutesByDomain(t *testing.T) {
	var got []string
	chans := map[string]channel.Channel{}
	for _, n := range []string{SMTP, SMPP, MM7} {
		chans[n] = recorder{n, &got}
	}
	r, err := New(parse(t, conf), chans)
	if err != nil {
		t.Fatal(err)
	}
	send := func(rcpt, routing, binding string) {
		m := message.FromRaw("a@example.com", rcpt, nil)
		m.RoutingDomain, m.Binding = routing, binding
		if err := r.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	send("15551234@smpp.example.com", "", "")
	send("15551234@SMPP.Example.COM", "", "")
	send("u@mm7.example.com", "", "")
	send("u@x.sms.example", "", "")
	send("u@special.example", "", "mobile")
	send("u@special.example", "", "")
	send("u@mail.example", "", "")
	send("john@elsewhere.example", "", "")
	// A routing domain set by policy wins over the recipient's domain.
	send("john@elsewhere.example", "smpp.example.com", "")
	send("15551234@smpp.example.com", "relay.example", "")
	want := []string{
		"smpp 15551234@smpp.example.com", "smpp 15551234@SMPP.Example.COM", "mm7 u@mm7.example.com",
		"smpp u@x.sms.example", "mm7 u@special.example", "smtp u@special.example", "smtp u@mail.example",
		"smtp john@elsewhere.example", "smpp john@elsewhere.example", "smtp 15551234@smpp.example.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("routed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUnconfiguredChannelRefusedAtLoad checks a domain routed to a method
// without a channel, or one msyshost does not carry, fails the load with
// the scope and position, and that a reload keeps the old config.
func TestUnconfiguredChannelRefusedAtLoad(t *testing.T) {
	var got []string
	smtpOnly := map[string]channel.Channel{SMTP: recorder{SMTP, &got}}
	for _, tc := range []struct{ conf, want string }{
		{`Domain "smpp.example.com" { delivery_method = smpp }`, `route.conf:1:29: Domain "smpp.example.com": delivery_method = smpp, but no smpp channel is configured`},
		{"Binding \"b\" {\n  Domain \"x\" { delivery_method = mm7 }\n}", `route.conf:2:16: Binding "b": Domain "x": delivery_method = mm7, but no mm7 channel is configured`},
		{`delivery_method = lmtp`, `route.conf:1:1: delivery_method = lmtp: msyshost does not deliver by lmtp`},
		{`Domain "x" { delivery_method = pigeon }`, `route.conf:1:14: Domain "x": delivery_method = pigeon: unknown delivery method (known: esmtp, mm7, smpp, smtp)`},
		{`Domain "x" { delivery_method = (smtp smpp) }`, `expected one method`},
	} {
		_, err := New(parse(t, tc.conf), smtpOnly)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.conf, err, tc.want)
		}
	}
	if _, err := New(parse(t, ""), map[string]channel.Channel{SMPP: recorder{SMPP, &got}}); err == nil {
		t.Error("a router without an smtp channel was built")
	}
	// A config swapped in without Check: the message waits (temporary),
	// it is not lost or sent elsewhere.
	cur := parse(t, `Domain "x" { delivery_method = smtp }`)
	r, err := New(func() *config.Config { return cur() }, smtpOnly)
	if err != nil {
		t.Fatal(err)
	}
	reloaded := parse(t, `Domain "x" { delivery_method = smpp }`)
	if err := Check(reloaded(), func(name string) bool { return name == SMTP }); err == nil {
		t.Fatal("Check passed a config routing to an unconfigured channel")
	}
	cur = reloaded
	err = r.Deliver(context.Background(), message.FromRaw("a@example.com", "u@x", nil))
	if st, ok := status.Of(err); !ok || !st.Temporary || len(got) != 0 {
		t.Fatalf("delivery to an unconfigured channel: %v (delivered %v)", err, got)
	}
}

func TestNoDomainIsPermanent(t *testing.T) {
	var got []string
	r, err := New(parse(t, ""), map[string]channel.Channel{SMTP: recorder{SMTP, &got}})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Deliver(context.Background(), message.FromRaw("a@example.com", "postmaster", nil))
	if st, ok := status.Of(err); !ok || st.Temporary || st.Enhanced != "5.1.3" {
		t.Fatalf("recipient without a domain: %v", err)
	}
}
