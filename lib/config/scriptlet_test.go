package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestScriptsOrder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.conf", `
scriptlet "scriptlet" {
  script "boot" { source = "msys.boot" }
  script "smpp" { source = "policy.smpp_hooks" }
}
Domain "x" { scriptlet = "not a scope: ignored" }
include "conf.d"
SCRIPTLET "scriptlet" { Script "last" { Source = "policy/last" } }
`)
	write(t, dir, "conf.d/50-mm7.conf", `scriptlet "scriptlet" { script "mm7" { source = "policy.mm7_hooks" } }`)
	c, err := Load(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	main, inc := filepath.Join(dir, "main.conf"), filepath.Join(dir, "conf.d", "50-mm7.conf")
	want := []Script{
		{Name: "boot", Source: "msys.boot", File: main, Line: 3},
		{Name: "smpp", Source: "policy.smpp_hooks", File: main, Line: 4},
		{Name: "mm7", Source: "policy.mm7_hooks", File: inc, Line: 1},
		{Name: "last", Source: "policy/last", File: main, Line: 8},
	}
	if got := c.Scripts(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestScriptletOptions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Scriptlet
	}{
		{"no scriptlet", ``, Scriptlet{ScriptTTL: 300 * time.Second, GCPause: 200, GCStepMul: 200, ReapInterval: time.Second, MaxSparePerMaster: 5000, PoolSize: 64, CallTimeout: 5 * time.Second}},
		{"all options", `scriptlet "scriptlet" {
			script_ttl = 60 gc_pause = 100 gc_stepmul = 400 always_gc = on reap_interval = 120
			max_spare_per_master = 10 pool_size = 4 call_timeout = 250ms Enabled = true Debug_Level = DEBUG }`,
			Scriptlet{ScriptTTL: time.Minute, GCPause: 100, GCStepMul: 400, AlwaysGC: true, ReapInterval: 2 * time.Minute,
				MaxSparePerMaster: 10, PoolSize: 4, CallTimeout: 250 * time.Millisecond}},
	}
	for _, tt := range tests {
		c, err := Parse("s.conf", []byte(tt.src))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := c.Scriptlet(); got != tt.want {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestScriptErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"scriptlet \"scriptlet\" {\n script \"a\" { }\n}", `s.conf:2:2: script "a" has no source: add source = "module.name"`},
		{"scriptlet \"scriptlet\" {\n script \"a\" {\n  source = \"a\"\n  debug = 1\n }\n}", `s.conf:4:3: unknown option "debug" in script "a": a script has only a source`},
		{`scriptlet "scriptlet" { script "a" { source = "" } }`, `s.conf:1:38: source of script "a" must be a module name such as "policy.hooks"`},
		{"scriptlet \"scriptlet\" { }\nscriptlet \"two\" { }", `s.conf:2:1: scriptlet "two": the scriptlet module has one instance, written scriptlet "scriptlet" { }`},
		{`scriptlet "scriptlet" { always_gc = perhaps }`, `s.conf:1:25: always_gc: expected a boolean (true/false, on/off, enabled/disabled, 1/0), found "perhaps"`},
		{`scriptlet "scriptlet" { call_timeout = 0 }`, `s.conf:1:25: call_timeout: must be longer than 0`},
	} {
		_, err := Parse("s.conf", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\nerror %v\nwant  %s", tt.src, err, tt.want)
		}
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
