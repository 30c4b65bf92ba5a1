package dnslookup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"msyshost/lib/msys/dnslookup"
	"msyshost/luahost"
	"msyshost/luahost/luatest"
)

func testZone(t testing.TB) *zone {
	big := make([]string, 12)
	for i := range big {
		big[i] = fmt.Sprintf(`big.example.test. 300 IN TXT "%02d %s"`, i, strings.Repeat("x", 180))
	}
	return newZone(t, append([]string{
		// Answer order is not sorted order: the results keep it.
		"www.example.test. 300 IN A 192.0.2.30",
		"www.example.test. 300 IN A 192.0.2.10",
		"www.example.test. 300 IN A 192.0.2.20",
		"www.example.test. 300 IN AAAA 2001:db8::2",
		"www.example.test. 300 IN AAAA 2001:db8::1",
		// MX sent worst first; equal preferences keep answer order.
		"example.test. 300 IN MX 30 mx3.example.test.",
		"example.test. 300 IN MX 10 mx1.example.test.",
		"example.test. 300 IN MX 20 mx2b.example.test.",
		"example.test. 300 IN MX 20 mx2a.example.test.",
		`example.test. 300 IN TXT "v=spf1 " "ip4:192.0.2.0/24 -all"`,
		`example.test. 300 IN TXT "quote\" back\\ nul\000 end"`,
		"example.test. 300 IN NS ns1.example.test.",
		"example.test. 300 IN NS ns2.example.test.",
		"alias.example.test. 300 IN CNAME www.example.test.",
		"10.2.0.192.in-addr.arpa. 300 IN PTR www.example.test.",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR v6.example.test.",
		"notxt.example.test. 300 IN A 192.0.2.99",
	}, big...)...)
}

// TestLua runs the Lua tests against a resolver whose first server
// answers SERVFAIL to everything, so every lookup also shows the move to
// the next server. A second server with other data serves the `server`
// option.
func TestLua(t *testing.T) {
	broken := &zone{servfail: true}
	main := serve(t, testZone(t))
	alt := serve(t, newZone(t, "www.example.test. 300 IN A 198.51.100.7"))
	t.Setenv("MSYSHOST_DNS_ALT", alt)
	t.Setenv("MSYSHOST_DNS_ALT_HOST", strings.Split(alt, ":")[0])
	svc := dnslookup.Config.Set(&luahost.Services{}, dnslookup.Static(dnslookup.Resolver{
		Servers: []string{serve(t, broken), main}, Timeout: 2 * time.Second, Attempts: 1,
	}))
	luatest.Run(t, "api_test.lua", svc)

	svc = dnslookup.Config.Set(&luahost.Services{}, dnslookup.Static(dnslookup.Resolver{
		Servers: []string{main}, Timeout: 2 * time.Second, Attempts: 1, TCPFallback: true,
	}))
	luatest.Run(t, "tcp_fallback_test.lua", svc)

	svc = dnslookup.Config.Set(&luahost.Services{}, dnslookup.Static(dnslookup.Resolver{
		Servers: []string{blackhole(t)}, Timeout: 150 * time.Millisecond, Attempts: 2,
	}))
	luatest.Run(t, "timeout_test.lua", svc)
}

// TestHostDeadlineStopsALookup: a lookup at a server that never answers,
// with a resolver timeout far beyond the host's call deadline, ends at the
// deadline.
func TestHostDeadlineStopsALookup(t *testing.T) {
	svc := dnslookup.Config.Set(&luahost.Services{}, dnslookup.Static(dnslookup.Resolver{
		Servers: []string{blackhole(t)}, Timeout: time.Minute, Attempts: 3,
	}))
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: 300 * time.Millisecond}, svc)
	defer h.Close()
	start := time.Now()
	err := h.Run(context.Background(), "lookup", `local r, err = msys.dnsLookup("www.example.test", "A"); assert(r == nil); error(err)`)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the lookup ran %v past a 300ms call deadline", took)
	}
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("want the chunk to end on its deadline, got %v", err)
	}
}

func TestParseResolvConf(t *testing.T) {
	r, err := dnslookup.ParseResolvConf([]byte(`# comment
search example.test
nameserver 192.0.2.1
nameserver 2001:db8::53   ; trailing comment
nameserver fe80::1%eth0
options ndots:2 retrans:3 retry:4
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.0.2.1:53", "[2001:db8::53]:53", "[fe80::1%eth0]:53"}
	if fmt.Sprint(r.Servers) != fmt.Sprint(want) || r.Timeout != 3*time.Second || r.Attempts != 4 {
		t.Fatalf("got %+v", r)
	}
	r, _ = dnslookup.ParseResolvConf([]byte("options timeout:1 attempts:5\n"))
	if fmt.Sprint(r.Servers) != "[127.0.0.1:53]" || r.Timeout != time.Second || r.Attempts != 5 {
		t.Fatalf("no nameserver line: got %+v", r)
	}
	for _, bad := range []string{"nameserver\n", "nameserver example.com\n", "options timeout:x\n", "options attempts:0\n"} {
		if _, err := dnslookup.ParseResolvConf([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: want an error naming line 1, got %v", bad, err)
		}
	}
}

// TestResolvConfSource: the source follows edits of the file and reports a
// missing one.
func TestResolvConfSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
	tcp := false
	src := dnslookup.ResolvConf(func() string { return path }, func() bool { return tcp })
	r, err := src()
	if err != nil || r.Servers[0] != "192.0.2.1:53" || r.TCPFallback {
		t.Fatalf("got %+v, %v", r, err)
	}
	os.WriteFile(path, []byte("nameserver 192.0.2.2\nnameserver 192.0.2.3\n"), 0o644)
	os.Chtimes(path, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	tcp = true
	if r, _ := src(); len(r.Servers) != 2 || r.Servers[0] != "192.0.2.2:53" || !r.TCPFallback {
		t.Fatalf("after an edit: got %+v", r)
	}
	os.Remove(path)
	if _, err := src(); err == nil || !strings.Contains(err.Error(), "resolv.conf") {
		t.Fatalf("a missing file must be an error naming it, got %v", err)
	}
}

// FuzzParseResolvConf: any input parses or fails without panicking, and a
// parse yields at least one server and positive limits.
func FuzzParseResolvConf(f *testing.F) {
	f.Add([]byte("nameserver 192.0.2.1\noptions timeout:2 attempts:3\n"))
	f.Add([]byte("nameserver ::1%lo\nsearch a b\n#x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := dnslookup.ParseResolvConf(data)
		if err != nil {
			return
		}
		if len(r.Servers) == 0 || r.Timeout <= 0 || r.Attempts <= 0 {
			t.Fatalf("parsed into an unusable resolver: %+v", r)
		}
	})
}
