package smppclient_test

import (
	"context"
	"errors"
	"msyshost/lib/msys/core"
	msysmstore "msyshost/lib/msys/mstore"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"msyshost/lib/mstore"
	_ "msyshost/lib/msys"
	"msyshost/lib/retry"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// printed collects what scripts print.
type printed struct {
	mu    sync.Mutex
	lines []string
}

func (p *printed) add(_, line string) { p.mu.Lock(); p.lines = append(p.lines, line); p.mu.Unlock() }

func (p *printed) has(sub string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// realHost loads examples/smpp_hooks.lua into a Lua host over the rig's
// store and recorder.
func realHost(t testing.TB, out *printed) func(mstore.Store, *spool.Recorder) retry.Hooks {
	return func(st mstore.Store, rec *spool.Recorder) retry.Hooks {
		root := filepath.Join("..", "..")
		svc := &luahost.Services{}
		msysmstore.Store.Set(svc, st)
		core.Injector.Set(svc, rec)
		if out != nil {
			svc.Print = out.add
		}
		h := luahost.New(luahost.Options{SearchPath: []string{filepath.Join(root, "examples"), filepath.Join(root, "scriptlets")}}, svc)
		if err := h.Load(context.Background(), []luahost.Script{{Name: "smpp_hooks", Path: filepath.Join(root, "examples", "smpp_hooks.lua")}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		return h
	}
}

// The documented example hooks, unchanged, over real sockets: a positive
// receipt deletes the stored copy, a negative one re-routes the message
// to e-mail and deletes it, and nobody gets a bounce.
func TestExampleHooksOverTheSimulator(t *testing.T) {
	out := &printed{}
	r := newRigWith(t, smsc.Options{Outcomes: []smsc.Weighted{{Stat: "DELIVRD", Weight: 1}, {Stat: "UNDELIV", Weight: 1}}, TrailingNUL: true}, "", realHost(t, out))
	ctx := context.Background()
	for _, to := range []string{"15550001@" + domain, "15550002@" + domain} {
		if err := r.ch.Deliver(ctx, sms(to, "hello")); err != nil {
			t.Fatal(err)
		}
	}
	subs := r.smsc.Submissions()
	waitFor(t, func() bool {
		return r.smsc.Pending() == 0 && out.has("negative SMPP receipt") && out.has("positive SMPP receipt")
	})
	for _, s := range subs {
		if _, err := r.store.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: s.ID}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s still stored after its receipt: %v", s.ID, err)
		}
	}
	injected, bounces := r.rec.Take()
	if len(injected) != 1 || injected[0].RcptTo != "john@example.messagesystems.com" || injected[0].MailFrom != "a@example.com" {
		t.Fatalf("injected %+v", injected)
	}
	if len(bounces) != 0 {
		t.Fatalf("bounces %+v", bounces)
	}
	if !out.has("stored in \tMADR-12345") {
		t.Fatalf("store hook output missing: %q", out.lines)
	}
}
