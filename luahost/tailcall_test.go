package luahost_test

import (
	"context"
	"strings"
	"testing"

	"msyshost/luahost"
)

// A hook that ends in a tail call ("return helper()") is the outermost
// frame the host called; errors raised below it still name their line, as
// PUC's do, and level 1 is still the running function (getfenv).
func TestHookTailCallKeepsErrorPositions(t *testing.T) {
	h, p := newHost(t, luahost.Options{}, "m.lua", `local m = {}
local function helper(msgid)
  if msgid == "env" then print("env is _G", getfenv(1) == _G) return 1 end
  error("boom")
end
function m:smpp_handle_DR_positive(bucket, msgid)
  if msgid ~= "plain" then return helper(msgid) end
  local r = helper(msgid)
  return r
end
msys.registerModule("m", m)`)
	for _, id := range []string{"tail", "plain"} {
		res := h.Call(context.Background(), "smpp_handle_DR_positive", "MADR-1", id)
		if len(res.Calls) != 1 || !strings.HasSuffix(res.Calls[0].Err, "m.lua:4: boom") {
			t.Errorf("%s: %+v, want the error at m.lua:4", id, res.Calls)
		}
	}
	res := h.Call(context.Background(), "smpp_handle_DR_positive", "MADR-1", "env")
	if len(res.Calls) != 1 || res.Calls[0].Err != "" || p.all() != "m: env is _G\ttrue" {
		t.Errorf("getfenv(1) in a tail-called function: %+v, printed %q", res.Calls, p.all())
	}
}
