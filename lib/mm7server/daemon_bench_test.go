package mm7server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mstore"
	"msyshost/lib/process"
	"msyshost/lib/retry"
)

// BenchmarkDaemonDeliveryReports is BenchmarkDeliveryReports through the
// daemon's wiring: the process `msyshost run` builds from a config (the
// receiver from mm7_serv and HTTP_Listener, the retry core, the Lua host
// with its hot-reload generations, the spool and channels beside them),
// positive reports posted over 16 keep-alive loopback connections.
// mm7_hooks runs examples/mm7_hooks.lua unchanged (its positive hook prints
// and deletes the stored copy) with pool_size 16; mm7_hooks_pool_default
// with the host's default pool; no_hook loads no script, so a report costs
// the lookup and nothing is written.
func BenchmarkDaemonDeliveryReports(b *testing.B) {
	b.Run("mm7_hooks", func(b *testing.B) {
		benchDaemonReports(b, `scriptlet "scriptlet" { pool_size = 16 script "mm7_hooks" { source = "mm7_hooks" } }`)
	})
	b.Run("mm7_hooks_pool_default", func(b *testing.B) {
		benchDaemonReports(b, `scriptlet "scriptlet" { script "mm7_hooks" { source = "mm7_hooks" } }`)
	})
	b.Run("no_hook", func(b *testing.B) { benchDaemonReports(b, "") })
}

func benchDaemonReports(b *testing.B, scriptlet string) {
	ctx := context.Background()
	dir := b.TempDir()
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		b.Fatal(err)
	}
	conf := `
Data_Directory = "` + filepath.Join(dir, "data") + `"
Control_Listener { Listen "` + filepath.Join(dir, "data", "c.sock") + `" { } }
` + scriptlet + `
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( "mm7://127.0.0.1/mm7?port=9" )
  mm7_sender_address = "4321"
  mm7_delivery_report = true
}
mm7_serv { }
HTTP_Listener { Listen "127.0.0.1:0" { } }
`
	cfgFile := filepath.Join(dir, "msyshost.conf")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := process.Build(ctx, process.Options{Mode: process.Daemon, ConfigFile: cfgFile,
		SearchPath: []string{examples}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p.Stop(sctx)
	}()
	var url string
	for _, l := range p.Listeners() {
		if strings.HasSuffix(l, "/mm7/") {
			url = l
		}
	}

	// The stored copies, saved as the channel saves them, concurrently so
	// the store commits them in groups; the report bodies as a relay
	// writes them.
	pol, err := retry.MM7PolicyOf(p.Config(), config.Scope{Domain: "mm7.example.com"})
	if err != nil {
		b.Fatal(err)
	}
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
				if _, err := p.Retry.Submitted(ctx, pol.Submission(m, id, "4321", "", "mm7.example.com")); err != nil {
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
	// The hook's delete happened (or, without a hook, nothing did).
	_, err = p.Store.Load(ctx, mstore.Key{Bucket: "MADR-4321", ID: fmt.Sprintf("bench-%d", b.N-1)})
	if deleted := errors.Is(err, mstore.ErrNotFound); deleted != (scriptlet != "") {
		b.Fatalf("last stored copy after its report: %v (hook loaded: %t)", err, scriptlet != "")
	}
}
