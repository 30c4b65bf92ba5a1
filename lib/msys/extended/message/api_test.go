package message_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	"msyshost/lib/msys/core"
	_ "msyshost/lib/msys/extended/message"
	_ "msyshost/lib/msys/extended/message_routing"
)

// TestAPI runs api_test.lua; the injections its TestInject* functions make
// are checked here from Go.
func TestAPI(t *testing.T) {
	rec := &spool.Recorder{}
	t.Setenv("MSYSHOST_TEST_DIR", t.TempDir())
	luatest.Run(t, "api_test.lua", core.Injector.Set(&luahost.Services{}, rec))
	injected, _ := rec.Take()
	var got []string
	for _, m := range injected {
		got = append(got, m.MailFrom+">"+m.RcptTo)
	}
	want := []string{
		"new@example.com>a@example.com",
		"new@example.com>b@example.org",
		"new@example.com>c@example.net",
		"fw@example.com>x@example.com",
		"fw@example.com>y@example.com",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("injected %v, want %v", got, want)
	}
	first := injected[0]
	if v := first.HeaderValues("X-Injected"); len(v) != 1 || v[0] != "yes" {
		t.Errorf("the copy lacks the header set before inject: %q", v)
	}
	if first.Context["k"] != "v" {
		t.Errorf("the copy lacks the message context")
	}
	if first.RoutingDomainOf() != "example.com" {
		t.Errorf("copy routing domain = %q", first.RoutingDomainOf())
	}
	if injected[0].ID == injected[1].ID {
		t.Errorf("copies share an id")
	}
	fw := injected[3]
	root := message.FromRaw("", "", fw.Raw()).Root()
	if len(root.Children()) != 2 || root.Children()[1].MediaType() != "message/rfc822" {
		t.Errorf("forward structure wrong:\n%s", fw.Raw())
	}
	if v := fw.HeaderValues("Subject"); len(v) != 1 || v[0] != "Fwd: original" {
		t.Errorf("forward subject = %q", v)
	}
}

type failingInjector struct{}

func (failingInjector) Inject(context.Context, *message.Message) error {
	return errors.New("spool full")
}

// TestInjectFailure checks the nil, "error" convention when the spool
// refuses, and when the host has no injector at all.
func TestInjectFailure(t *testing.T) {
	luatest.Run(t, "inject_fail_test.lua", core.Injector.Set(&luahost.Services{}, failingInjector{}))
	luatest.Run(t, "inject_none_test.lua", nil)
}

// refusingInjector takes copies until one is for refused@example.com.
type refusingInjector struct{ taken []string }

func (r *refusingInjector) Inject(_ context.Context, m *message.Message) error {
	if m.RcptTo == "refused@example.com" {
		return errors.New("spool full")
	}
	r.taken = append(r.taken, m.RcptTo)
	return nil
}

// TestInjectPartial: the copies before a refusal stay injected and the
// error counts them.
func TestInjectPartial(t *testing.T) {
	inj := &refusingInjector{}
	luatest.Run(t, "inject_partial_test.lua", core.Injector.Set(&luahost.Services{}, inj))
	if got := strings.Join(inj.taken, " "); got != "one@example.com two@example.com" {
		t.Errorf("injected %s", got)
	}
}

func TestBindingFromConfig(t *testing.T) {
	cfg, err := config.Parse("bindings.conf", []byte(`
Binding "mydomain" { }
Binding_Group "outbound" { Binding "out1" { } Binding "out2" { } }
Binding_Group "none" { }
`))
	if err != nil {
		t.Fatal(err)
	}
	// The configuration is one service, core.Config, which msys.config
	// reads too (review item 20: the assembly had to set two).
	luatest.Run(t, "binding_test.lua", core.Config.Set(&luahost.Services{}, func() *config.Config { return cfg }))
}
