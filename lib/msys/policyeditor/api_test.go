package policyeditor_test

import (
	"strings"
	"testing"

	"msyshost/lib/msys/core"
	"msyshost/lib/spool"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) {
	rec := &spool.Recorder{}
	luatest.Run(t, "api_test.lua", core.Injector.Set(&luahost.Services{}, rec))
	sent, _ := rec.Take()
	if len(sent) != 2 || sent[0].RcptTo != "ops@example.com" || sent[1].RcptTo != "oncall@example.com" {
		t.Fatalf("sent %+v", sent)
	}
	raw := string(sent[0].Raw())
	for _, want := range []string{"From: alerts@example.com\r\n", "Subject: queue high\r\n", "\r\n\r\nqueue is at 5000"} {
		if !strings.Contains(raw, want) {
			t.Errorf("message lacks %q:\n%s", want, raw)
		}
	}
}
