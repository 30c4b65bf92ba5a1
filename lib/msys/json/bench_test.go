package json_test

import (
	"context"
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// benchScript builds a typical message context (what a hook records about a
// submission: ids, envelope, a context dictionary, segment ids) and loops
// json.encode/tostring or json.decode/field reads over it n times.
const benchScript = `
ctx = {
  msgid = "53/6B-18426-1AAEACF3", bucket = "MADR-12345", binding = "smpp_out",
  mailfrom = "alerts@example.com", rcptto = "+15551234567@sms.example.net",
  priority = 1, received = 1767225600, retries = 0, delivered = false,
  context = { campaign = "spring-sale", shortcode = "12345", carrier = "acme-mobile",
              locale = "en_US", segment_count = "3", dr_status = "pending" },
  segments = { "a1b2c3", "a1b2c4", "a1b2c5" },
}
text = tostring(json.encode(ctx))
function encode_loop(n)
  for i = 1, n do local s = tostring(json.encode(ctx)) end
end
function decode_loop(n)
  for i = 1, n do
    local d = json.decode(text)
    local _ = d.context.campaign, d.segments[3], d.priority
  end
end
`

func BenchmarkContextTable(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.lua")
	if err := os.WriteFile(path, []byte(benchScript), 0o644); err != nil {
		b.Fatal(err)
	}
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: time.Minute}, nil)
	defer h.Close()
	ctx := context.Background()
	if err := h.Load(ctx, []luahost.Script{{Name: "bench", Path: path}}); err != nil {
		b.Fatal(err)
	}
	loop := func(b *testing.B, fn string) {
		err := h.WithState(ctx, func(L *lua.LState) error {
			b.ReportAllocs()
			b.ResetTimer()
			return luahost.PCall(ctx, L, L.GetGlobal(fn).(*lua.LFunction), lua.LNumber(b.N))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("lua-encode", func(b *testing.B) { loop(b, "encode_loop") })
	b.Run("lua-decode", func(b *testing.B) { loop(b, "decode_loop") })

	// The same data through encoding/json into and out of Go maps: a
	// reference for what the Lua-facing conversion adds.
	goCtx := map[string]any{
		"msgid": "53/6B-18426-1AAEACF3", "bucket": "MADR-12345", "binding": "smpp_out",
		"mailfrom": "alerts@example.com", "rcptto": "+15551234567@sms.example.net",
		"priority": 1, "received": 1767225600, "retries": 0, "delivered": false,
		"context": map[string]any{"campaign": "spring-sale", "shortcode": "12345", "carrier": "acme-mobile",
			"locale": "en_US", "segment_count": "3", "dr_status": "pending"},
		"segments": []any{"a1b2c3", "a1b2c4", "a1b2c5"},
	}
	text, _ := stdjson.Marshal(goCtx)
	b.Run("encoding-json-encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := stdjson.Marshal(goCtx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var m map[string]any
			if err := stdjson.Unmarshal(text, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
