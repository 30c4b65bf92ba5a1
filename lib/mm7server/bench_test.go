package mm7server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/mstore/embedded"
	msysmstore "msyshost/lib/msys/mstore"
	"msyshost/lib/retry"
	"msyshost/luahost"
)

type noHooks struct{}

func (noHooks) Dispatch(context.Context, string, ...any) int { return 0 }

// BenchmarkDeliveryReports measures positive delivery reports end to end
// over loopback HTTP with the embedded store: DeliveryReportReq in, parse,
// locate the stored copy, hook, delete, DeliveryReportRsp out, with 16
// relay connections posting at once. lua_hook runs examples/mm7_hooks.lua in
// a real luahost.Host (its mm7_handle_DR_positive deletes the copy);
// no_hook runs the same reports with no script, so nothing is deleted (the
// default action of a positive report is none). The hook's delete waits
// for its fsync while holding a Lua state, so the store can only group the
// commits of as many reports as the pool has states: lua_hook sizes the
// pool (scriptlet pool_size) to the 16 connections, lua_hook_pool_default
// keeps the host's default of one state per core.
func BenchmarkDeliveryReports(b *testing.B) {
	script, err := filepath.Abs("../../examples/mm7_hooks.lua")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lua_hook", func(b *testing.B) { benchReports(b, script, benchWorkers) })
	b.Run("lua_hook_pool_default", func(b *testing.B) { benchReports(b, script, 0) })
	b.Run("no_hook", func(b *testing.B) { benchReports(b, "", 0) })
}

const benchWorkers = 16

func benchReports(b *testing.B, script string, pool int) {
	ctx := context.Background()
	st, err := embedded.Open(filepath.Join(b.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var hooks retry.Hooks = noHooks{}
	if script != "" {
		host := luahost.New(luahost.Options{PoolSize: pool}, msysmstore.Store.Set(&luahost.Services{}, st))
		defer host.Close()
		if err := host.Load(ctx, []luahost.Script{{Name: "mm7_hooks", Path: script}}); err != nil {
			b.Fatal(err)
		}
		hooks = host
	}
	core := &retry.Core{Store: st, Hooks: hooks}
	srv := mm7server.New(mm7server.Options{Addr: "127.0.0.1:0", Core: core})
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop(ctx)

	// The stored copies, saved concurrently so the store commits them in
	// groups, and the report bodies, written as a relay would.
	p := retry.MM7Policy{DeliveryReport: true, SaveMessage: true, UseShortcode: true}
	raw := []byte("From: promo@example.com\r\nTo: 15557654321@mm7.example.com\r\nSubject: Holiday\r\n\r\npicture\r\n")
	bodies := make([][]byte, b.N)
	var ct string
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				id := fmt.Sprintf("bench-%d", i)
				m := message.FromRaw("promo@example.com", "15557654321@mm7.example.com", raw)
				if _, err := core.Submitted(ctx, p.Submission(m, id, "4321", "", "mm7.example.com")); err != nil {
					b.Error(err)
					return
				}
				c, body, _ := mm7.Style{}.Encode(report(id, mm7.MMStatusRetrieved, shortcode4321))
				bodies[i], ct = body, c
			}
		}()
	}
	wg.Wait()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchWorkers}}
	url := srv.URL()
	next.Store(0)
	b.ResetTimer()
	for w := 0; w < benchWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				resp, err := client.Post(url, ct, bytes.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("report %d: HTTP %d", i, resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}
