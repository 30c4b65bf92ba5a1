package process_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// daemon builds and starts a Daemon-mode process on a config file in dir.
func daemon(t *testing.T, dir, conf string) *process.Process {
	t.Helper()
	path := filepath.Join(dir, "msyshost.conf")
	put(t, path, conf)
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{Mode: process.Daemon, ConfigFile: path, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

func put(t *testing.T, path, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// returning is a module whose positive-receipt hook returns v.
func returning(name, v string) string {
	return "local m = {}\nfunction m:smpp_handle_DR_positive() return " + v + " end\nmsys.registerModule(\"" + name + "\", m)\n"
}

// served polls until the hook's deciding code is want.
func served(t *testing.T, p *process.Process, want int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if p.Host.Call(context.Background(), "smpp_handle_DR_positive", "B", "x").Code == want {
			return
		}
	}
	t.Fatalf("code %d never served; status: %+v", want, p.ScriptStatus())
}

const twoScripts = `scriptlet "scriptlet" {
  script "a" { source = "a" }
  script "b" { source = "lib.b" }
}
`

// A script deleted from disk keeps its last good code, and the others
// still reload when edited.
func TestDeletedScriptDoesNotFreezeTheOthers(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "a.lua"), returning("a", "0"))
	put(t, filepath.Join(dir, "lib", "b.lua"), returning("b", "7"))
	p := daemon(t, dir, twoScripts)
	served(t, p, 7)
	if err := os.Remove(filepath.Join(dir, "lib", "b.lua")); err != nil {
		t.Fatal(err)
	}
	put(t, filepath.Join(dir, "a.lua"), returning("a", "5"))
	served(t, p, 5)
	if err := p.ReloadScripts(context.Background(), "test"); err != nil {
		t.Fatalf("a reload with one file gone: %v", err)
	}
	// b's last good code still answers when a continues.
	put(t, filepath.Join(dir, "a.lua"), returning("a", "0"))
	served(t, p, 7)
}

// A folder replaced whole, as deploy tools do, is watched again.
func TestReplacedFolderIsWatchedAgain(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "a.lua"), returning("a", "0"))
	put(t, filepath.Join(dir, "lib", "b.lua"), returning("b", "1"))
	p := daemon(t, dir, twoScripts)
	served(t, p, 1)
	if err := os.RemoveAll(filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	put(t, filepath.Join(dir, "lib2", "b.lua"), returning("b", "2"))
	if err := os.Rename(filepath.Join(dir, "lib2"), filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	served(t, p, 2)
	put(t, filepath.Join(dir, "lib", "b.lua"), returning("b", "3"))
	served(t, p, 3)
}

// The generation a config reload builds runs init against the new config,
// and a failed one puts the old config back.
func TestConfigReloadBuildsWithTheNewConfig(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "a.lua"), `local m = {}
local seen
function m:init() seen = msys.config("get", "domain", "d", "smpp_registered_delivery") return true end
function m:smpp_handle_DR_positive() return seen == "second" and 2 or 1 end
msys.registerModule("a", m)
`)
	conf := func(v string) string {
		return "scriptlet \"scriptlet\" { script \"a\" { source = \"a\" } }\nDomain \"d\" { smpp_registered_delivery = \"" + v + "\" }\n"
	}
	p := daemon(t, dir, conf("first"))
	served(t, p, 1)
	put(t, filepath.Join(dir, "msyshost.conf"), conf("second"))
	if _, err := p.ReloadConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	served(t, p, 2)
	// A reload that fails to build keeps the config it replaced.
	put(t, filepath.Join(dir, "msyshost.conf"), conf("third")+"scriptlet \"scriptlet\" { script \"c\" { source = \"missing\" } }\n")
	if _, err := p.ReloadConfig(context.Background()); err == nil {
		t.Fatal("a config naming a missing script was applied")
	}
	if v, _ := p.Config().Eval(config.Scope{Domain: "d"}, "smpp_registered_delivery"); v.String() != "second" {
		t.Fatalf("config in force after a failed reload: %q", v.String())
	}
	for _, s := range p.ScriptStatus() {
		if s.Name == "c" {
			t.Fatalf("a script of a config that was not applied shows in status: %+v", s)
		}
	}
}

// Reloads at once from the watcher, the console and SIGHUP leave the
// scripts serving and the config in force belonging together.
func TestConcurrentReloadsStayTogether(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "a.lua"), returning("a", "0"))
	put(t, filepath.Join(dir, "lib", "b.lua"), returning("b", "4"))
	one := "scriptlet \"scriptlet\" { script \"a\" { source = \"a\" } }\n"
	p := daemon(t, dir, one)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p.ReloadScripts(context.Background(), "test")
		}()
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				put(t, filepath.Join(dir, "msyshost.conf"), twoScripts)
			} else {
				put(t, filepath.Join(dir, "msyshost.conf"), one)
			}
			p.ReloadConfig(context.Background())
		}(i)
	}
	wg.Wait()
	put(t, filepath.Join(dir, "msyshost.conf"), twoScripts)
	if _, err := p.ReloadConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.ReloadScripts(context.Background(), "test")
	served(t, p, 4)
	var names []string
	for _, s := range p.ScriptStatus() {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "a,b" {
		t.Fatalf("status lists %v", names)
	}
}
