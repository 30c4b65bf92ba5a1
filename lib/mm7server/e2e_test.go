package mm7server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "msyshost/lib/msys"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7client"
	"msyshost/lib/mm7server"
	"msyshost/lib/mmsc"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	msyscore "msyshost/lib/msys/core"
	msysmstore "msyshost/lib/msys/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// luaHooks dispatches to a real Lua host and records which hooks ran.
type luaHooks struct {
	host  *luahost.Host
	mu    sync.Mutex
	calls []luahost.HookCall
}

func (l *luaHooks) Dispatch(ctx context.Context, hook string, args ...any) int {
	res := l.host.Call(ctx, hook, args...)
	l.mu.Lock()
	l.calls = append(l.calls, res.Calls...)
	l.mu.Unlock()
	return res.Code
}

func (l *luaHooks) taken() []luahost.HookCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]luahost.HookCall(nil), l.calls...)
}

// flow is the whole MM7 retry flow in one process, over loopback HTTP: the
// MM7 channel submits to the MMSC simulator, which posts its delivery
// report to the MM7 server, which runs the Lua hooks.
type flow struct {
	ch      *mm7client.Channel
	sim     *mmsc.MMSC
	store   *embedded.Store
	rec     *spool.Recorder
	hooks   *luaHooks
	printed []string
	mu      sync.Mutex
}

func newFlow(t *testing.T, script string, simOpts mmsc.Options) *flow {
	t.Helper()
	ctx := context.Background()
	f := &flow{rec: &spool.Recorder{}}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	svc := &luahost.Services{Print: func(_, line string) {
		f.mu.Lock()
		f.printed = append(f.printed, line)
		f.mu.Unlock()
	}}
	msysmstore.Store.Set(svc, st)
	msyscore.Injector.Set(svc, f.rec)
	host := luahost.New(luahost.Options{}, svc)
	t.Cleanup(host.Close)
	if err := host.Load(ctx, []luahost.Script{{Name: "mm7_hooks", Path: script}}); err != nil {
		t.Fatal(err)
	}
	f.hooks = &luaHooks{host: host}
	core := &retry.Core{Store: st, Hooks: f.hooks, Bouncer: f.rec}
	srv := mm7server.New(mm7server.Options{Addr: "127.0.0.1:0", Core: core})
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(ctx) })
	simOpts.ReportURL, simOpts.ReportDelay = srv.URL(), 20*time.Millisecond
	f.sim = mmsc.New(simOpts, nil)
	if err := f.sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Stop(ctx) })
	cfg, err := config.Parse("flow.conf", []byte(`
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( "mm7://`+f.sim.Addr()+`/mm7" )
  mm7_sender_address = "4321"
  mm7_delivery_report = true
}`))
	if err != nil {
		t.Fatal(err)
	}
	f.ch = mm7client.New(func() *config.Config { return cfg }, core, nil)
	return f
}

// send delivers one MMS and waits until its final report was answered.
func (f *flow) send(t *testing.T, reports int) (key mstore.Key) {
	t.Helper()
	m := message.FromRaw("promo@example.com", "15557654321@mm7.example.com",
		[]byte("From: promo@example.com\r\nSubject: Holiday\r\n\r\npicture\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.ch.Deliver(ctx, m); err != nil {
		t.Fatal(err)
	}
	key = mstore.Key{Bucket: "MADR-4321", ID: m.Context[mm7client.CtxResponseMessageID]}
	rs, err := f.sim.WaitReports(ctx, reports)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("report %s not taken: %v", r.Request.MMStatus, r.Err)
		}
	}
	return key
}

func examplesScript(t *testing.T) string {
	p, err := filepath.Abs("../../examples/mm7_hooks.lua")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlowNegativeReportReroutes(t *testing.T) {
	f := newFlow(t, examplesScript(t), mmsc.Options{Statuses: map[string]string{"1555": mm7.MMStatusExpired}})
	key := f.send(t, 1)
	calls := f.hooks.taken()
	if len(calls) != 1 || calls[0].Hook != "mm7_handle_DR_negative" || calls[0].Code != 3 || calls[0].Err != "" {
		t.Fatalf("hooks %+v", calls)
	}
	injected, bounces := f.rec.Take()
	if len(injected) != 1 || injected[0].MailFrom != "delivery_failure@test.com" || injected[0].RcptTo != "12405678910@smpp.example.com" {
		t.Errorf("injected %+v", injected)
	}
	if len(bounces) != 0 {
		t.Errorf("bounced %+v", bounces)
	}
	if _, err := f.store.Load(context.Background(), key); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("stored copy left: %v", err)
	}
}

func TestFlowPositiveReportDeletes(t *testing.T) {
	f := newFlow(t, examplesScript(t), mmsc.Options{Progress: []string{mm7.MMStatusForwarded}})
	key := f.send(t, 2)
	calls := f.hooks.taken()
	if len(calls) != 1 || calls[0].Hook != "mm7_handle_DR_positive" {
		t.Fatalf("hooks %+v (the Forwarded report must run none)", calls)
	}
	if _, err := f.store.Load(context.Background(), key); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("stored copy left: %v", err)
	}
	if injected, bounces := f.rec.Take(); len(injected)+len(bounces) != 0 {
		t.Errorf("injected %d bounced %d", len(injected), len(bounces))
	}
}

func TestFlowContinueBounces(t *testing.T) {
	script := filepath.Join(t.TempDir(), "mm7_hooks.lua")
	os.WriteFile(script, []byte(`
local hooks = {}
function hooks:mm7_handle_DR_negative(trx, bucket, msgid)
  print("negative " .. trx.status .. " for " .. trx.recipient .. " from " .. trx.sender)
  return msys.mms.MM7_CONTINUE
end
msys.registerModule("mm7_hooks", hooks)
`), 0o644)
	f := newFlow(t, script, mmsc.Options{Statuses: map[string]string{"1555": mm7.MMStatusRejected}})
	key := f.send(t, 1)
	_, bounces := f.rec.Take()
	if len(bounces) != 1 || bounces[0].To != "promo@example.com" {
		t.Fatalf("bounces %+v", bounces)
	}
	if _, err := f.store.Load(context.Background(), key); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("stored copy left after the bounce: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.printed) != 1 || f.printed[0] != "negative Rejected for 15557654321 from 4321" {
		t.Errorf("printed %q", f.printed)
	}
}

// However the relay echoes the sender (see mmsc's Echo constants), the
// report finds its message: by the short code when one can be read from
// the echo, else through the report alias in MADR-MM7; and a relay that
// posts each report twice gets the second acknowledged as a duplicate.
func TestFlowSenderEchoes(t *testing.T) {
	for _, echo := range mmsc.Echoes {
		t.Run(echo, func(t *testing.T) {
			f := newFlow(t, examplesScript(t), mmsc.Options{SenderEcho: echo, DuplicateEvery: 1})
			key := f.send(t, 2)
			calls := f.hooks.taken()
			if len(calls) != 1 || calls[0].Hook != "mm7_handle_DR_positive" {
				t.Fatalf("hooks %+v", calls)
			}
			f.mu.Lock()
			printed := strings.Join(f.printed, "\n")
			f.mu.Unlock()
			if !strings.Contains(printed, "stored in "+key.Bucket) {
				t.Errorf("the hook ran for another bucket: %s", printed)
			}
			for _, k := range []mstore.Key{key, {Bucket: "MADR-MM7", ID: key.ID}} {
				if _, err := f.store.Load(context.Background(), k); !errors.Is(err, mstore.ErrNotFound) {
					t.Errorf("%s left: %v", k, err)
				}
			}
		})
	}
}
