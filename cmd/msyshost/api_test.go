package main_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/api.md from msyshost api")

// TestAPIDoc keeps docs/api.md equal to what `msyshost api` prints: a
// binding or hook registered without regenerating the doc fails here.
func TestAPIDoc(t *testing.T) {
	out, stderr, code := run(t, ".", "api")
	if code != 0 {
		t.Fatalf("msyshost api: exit %d: %s", code, stderr)
	}
	doc := filepath.Join("..", "..", "docs", "api.md")
	if *update {
		if err := os.WriteFile(doc, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != out {
		t.Fatalf("docs/api.md is stale: run `go test ./cmd/msyshost -run TestAPIDoc -update`")
	}
	for _, s := range []string{"### msys.core", "`ec_message:header`", "`validate_rcptto(msg, str, accept, vctx)`", "| `smpp_handle_DR_negative(bucket, msgid)` | a code | retry |"} {
		if !strings.Contains(out, s) {
			t.Errorf("msyshost api lacks %q", s)
		}
	}
}

func TestCheckCompat(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.lua", `local core = require("msys.core")
local mod = {}
function mod:smpp_handle_DR_negative(bucket, msgid)
  local msg = msys.mstore.load(bucket, msgid)
  msg:context_set(core.ECMESS_CTX_MESS, "k", "v")
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("ok", mod)
`)
	write(t, dir, "bad.lua", `require("msys.core")
require("no.such.thing")
local mod = {}
function mod:validate_rcpt_to(msg, str, ac, vctx)
  return msys.core.no_such_function(msg)
end
msys.registerModule("bad", mod)
`)
	out, _, code := run(t, dir, "check", "--compat", "ok.lua")
	if code != 0 {
		t.Fatalf("a supported script must pass: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"ok.lua:\n",
		"1: require msys.core",
		"3: hook smpp_handle_DR_negative",
		"supported: called by retry",
		"function msys.mstore.load",
		"method ec_message:context_set",
		"constant msys.smpp.SMPP_CONTINUE",
		"0 not supported",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	out, _, code = run(t, dir, "check", "--compat", "ok.lua", "bad.lua")
	if code != 1 {
		t.Fatalf("an unsupported use must fail the check: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"2: require no.such.thing",
		"not supported: no such module in msyshost or on the search path",
		"4: hook validate_rcpt_to",
		"did you mean validate_rcptto?",
		"function msys.core.no_such_function",
		"msyshost's msys.core has no no_such_function",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// The script's own modules resolve on the search path.
	os.MkdirAll(filepath.Join(dir, "lib", "no", "such"), 0o755)
	write(t, dir, "lib/no/such/thing.lua", "return {}\n")
	out, _, _ = run(t, dir, "check", "--compat", "-I", "lib", "bad.lua")
	if !strings.Contains(out, "require no.such.thing") || !strings.Contains(out, "a Lua module on the search path") {
		t.Errorf("-I must resolve the script's own modules:\n%s", out)
	}
}
