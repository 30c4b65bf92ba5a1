package curl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"msyshost/lib/msys/curl/curltest"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/curl"
)

func TestLua(t *testing.T) {
	curltest.Start(t).Setenv(t)
	luatest.Run(t, "api_test.lua", nil)
}

// TestHostDeadlineStopsATransfer: a transfer to a server that never
// answers, without TIMEOUT, ends at the hook's deadline.
func TestHostDeadlineStopsATransfer(t *testing.T) {
	env := curltest.Start(t)
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: 300 * time.Millisecond}, nil)
	defer h.Close()
	start := time.Now()
	err := h.Run(context.Background(), "fetch", `
local c = curl.new()
c:setopt(curl.OPT_URL, "`+env.HTTP+`/hang")
local ok, err, code = c:perform()
error(tostring(err) .. " code " .. tostring(code))`)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the transfer ran %v past a 300ms call deadline", took)
	}
	// perform returns E_OPERATION_TIMEDOUT, or the host stops the chunk
	// first: either way the deadline ended it.
	if err == nil || !strings.Contains(err.Error(), "code 28") && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("want the transfer to end at the deadline, got %v", err)
	}
}
