package main_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"msyshost/lib/console"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
)

// daemon is a `msyshost run` child process.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	dir    string
	socket string
	mu     sync.Mutex
	log    strings.Builder
	exited chan error
}

func startDaemon(t *testing.T, dir string, args ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: dir, socket: filepath.Join(dir, "data", "control.sock"), exited: make(chan error, 1)}
	d.cmd = exec.Command(binary, append([]string{"run", "-c", "msyshost.conf"}, args...)...)
	d.cmd.Dir = dir
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.log.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
		}
		d.exited <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	if !d.waitLog("msyshost started", 10*time.Second) {
		t.Fatalf("daemon did not start; log:\n%s", d.logText())
	}
	return d
}

func (d *daemon) logText() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

func (d *daemon) waitLog(sub string, within time.Duration) bool {
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(d.logText(), sub) {
			return true
		}
	}
	return false
}

func (d *daemon) console(line string) (string, error) {
	d.t.Helper()
	c, err := console.Dial(d.socket, 2*time.Second)
	if err != nil {
		d.t.Fatal(err)
	}
	defer c.Close()
	return c.Exec(line)
}

// until polls a console command until its output contains want.
func (d *daemon) until(line, want string, within time.Duration) string {
	d.t.Helper()
	var out string
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		out, _ = d.console(line)
		if strings.Contains(out, want) {
			return out
		}
	}
	d.t.Fatalf("%q never answered %q; last answer:\n%s\nlog:\n%s", line, want, out, d.logText())
	return ""
}

const daemonConf = `Data_Directory = "data"
mstore { retention = 1d }
scriptlet "scriptlet" { script "policy" { source = "policy" } }
Domain "smpp.example.com" { smpp_registered_delivery = "SMSC_Delivery" }
`

func policy(version string) string {
	return `local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  msys.mstore.delete(bucket, msgid)
  return ` + version + `
end
msys.registerModule("policy", m)
`
}

func TestDaemonConsoleHotReloadAndShutdown(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "msyshost.conf", daemonConf)
	script := write(t, dir, "policy.lua", policy("1"))
	// A stored message for the console to show and delete.
	seed(t, filepath.Join(dir, "data"), "MADR-12345", "abc")
	seed(t, filepath.Join(dir, "data"), "MADR-12345", "def")

	d := startDaemon(t, dir)
	for _, want := range []string{"config=msyshost.conf", "data_dir=data", "store=\"embedded data/mstore.db\"", "listeners=data/control.sock"} {
		if !strings.Contains(d.logText(), want) {
			t.Errorf("start line lacks %s:\n%s", want, d.logText())
		}
	}
	if fi, err := os.Stat(d.socket); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", fi, err)
	}

	out, err := d.console("mstore display MADR-12345 abc")
	if err != nil || !strings.Contains(out, "Mail-From: sender@example.com") {
		t.Fatalf("display: %q %v", out, err)
	}
	if out, err = d.console("mstore delete MADR-12345 abc"); err != nil || !strings.Contains(out, "Deleted MADR-12345/abc") {
		t.Fatalf("delete: %q %v", out, err)
	}
	if _, err = d.console("mstore display MADR-12345 abc"); err == nil || !strings.Contains(err.Error(), "no such message") {
		t.Fatalf("display after delete: %v", err)
	}
	if _, err = d.console("mstore dispaly MADR-12345 abc"); err == nil || !strings.Contains(err.Error(), "did you mean: mstore display") {
		t.Fatalf("typo: %v", err)
	}
	// A console command's own flags pass through the command line.
	if out, err := exec.Command(binary, "console", "-s", d.socket, "mailq", "-d", "example.org").CombinedOutput(); err != nil {
		t.Fatalf("console mailq -d: %v\n%s", err, out)
	}
	out, _ = d.console("scriptlet status")
	if !strings.Contains(out, "policy: "+filepath.Join(dir, "policy.lua")) || !strings.Contains(out, "generation 1, loaded at") {
		t.Fatalf("status: %q", out)
	}
	// A name that is no hook fails the command, with the nearest hook.
	if _, err := d.console("scriptlet call smpp_handle_DR_positiv MADR-12345 def"); err == nil || !strings.Contains(err.Error(), "did you mean smpp_handle_DR_positive?") {
		t.Fatalf("call of a misspelt hook: %v", err)
	}
	// The hook runs the first version: it deletes and returns 1.
	if out, _ = d.console("scriptlet call smpp_handle_DR_positive MADR-12345 def"); !strings.Contains(out, "policy: returned 1") {
		t.Fatalf("call: %q", out)
	}

	// Edit in place: the next call is served by the new code.
	if err := os.WriteFile(script, []byte(policy("2")), 0o644); err != nil {
		t.Fatal(err)
	}
	d.until("scriptlet call smpp_handle_DR_positive MADR-12345 x", "policy: returned 2", 5*time.Second)

	// Save by rename-over, as editors do.
	tmp := write(t, dir, ".policy.lua.swp", policy("3"))
	if err := os.Rename(tmp, script); err != nil {
		t.Fatal(err)
	}
	d.until("scriptlet call smpp_handle_DR_positive MADR-12345 x", "policy: returned 3", 5*time.Second)

	// A syntax error: the old code keeps serving and status names file:line.
	if err := os.WriteFile(script, []byte("local m = {}\nfunction m:smpp_handle_DR_positive(\n  return 4\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = d.until("scriptlet status", "last error", 5*time.Second)
	if !strings.Contains(out, "policy.lua:3:") {
		t.Fatalf("status does not name the line: %q", out)
	}
	if out, _ = d.console("scriptlet call smpp_handle_DR_positive MADR-12345 x"); !strings.Contains(out, "policy: returned 3") {
		t.Fatalf("broken save changed what serves: %q", out)
	}
	// Fixed: live again, the error gone.
	if err := os.WriteFile(script, []byte(policy("5")), 0o644); err != nil {
		t.Fatal(err)
	}
	d.until("scriptlet call smpp_handle_DR_positive MADR-12345 x", "policy: returned 5", 5*time.Second)
	if out, _ = d.console("scriptlet status"); strings.Contains(out, "last error") {
		t.Fatalf("the fixed error still shows: %q", out)
	}

	// config reload: a broken config changes nothing; a good one applies.
	write(t, dir, "msyshost.conf", daemonConf+"Domian \"x\" { }\n")
	if _, err = d.console("config reload"); err == nil || !strings.Contains(err.Error(), "msyshost.conf:5:1: unknown scope Domian") {
		t.Fatalf("bad config reload: %v", err)
	}
	// A good one that adds a script applies: the new module answers.
	write(t, dir, "extra.lua", "local m = {}\nfunction m:smpp_handle_DR_negative() return 3 end\n"+
		"function m:mm7_handle_DR_negative() error(\"boom\") end\nmsys.registerModule(\"extra\", m)\n")
	write(t, dir, "msyshost.conf", strings.Replace(daemonConf, `script "policy" { source = "policy" }`,
		`script "policy" { source = "policy" } script "extra" { source = "extra" }`, 1))
	if out, err = d.console("config reload"); err != nil || !strings.Contains(out, "Reloaded: generation") {
		t.Fatalf("reload: %q %v", out, err)
	}
	if out, _ = d.console("scriptlet call smpp_handle_DR_negative MADR-12345 x"); !strings.Contains(out, "extra: returned 3 (SMPP_DELIVERED)") {
		t.Fatalf("the reloaded config's new script does not answer: %q", out)
	}
	// A hook that raises fails the command, with the module's error.
	if _, err = d.console("scriptlet call mm7_handle_DR_negative MADR-12345 x"); err == nil || !strings.Contains(err.Error(), "extra: error: ") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("call of a raising hook: %v", err)
	}
	// SIGHUP is config reload: the script dropped from the config goes.
	write(t, dir, "msyshost.conf", daemonConf)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.until("scriptlet call smpp_handle_DR_negative MADR-12345 x", "no module defines smpp_handle_DR_negative", 5*time.Second)

	// SIGTERM: exit 0, store closed (another process can open it at once).
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, d.logText())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", d.logText())
	}
	if !strings.Contains(d.logText(), "msyshost stopped") {
		t.Errorf("no stop line:\n%s", d.logText())
	}
	st, err := embedded.Open(filepath.Join(dir, "data", "mstore.db"), embedded.Options{})
	if err != nil {
		t.Fatalf("store not closed cleanly: %v", err)
	}
	defer st.Close()
	if _, err := mstore.LoadMessage(context.Background(), st, mstore.Key{Bucket: "MADR-12345", ID: "def"}); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("the hook's delete did not reach the store: %v", err)
	}
}

func seed(t *testing.T, dataDir, bucket, id string) {
	t.Helper()
	os.MkdirAll(dataDir, 0o750)
	st, err := embedded.Open(filepath.Join(dataDir, "mstore.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &mstore.Record{Key: mstore.Key{Bucket: bucket, ID: id}, MailFrom: "sender@example.com", RcptTo: "15551234@smpp.example.com",
		Raw: []byte("Subject: hi\r\n\r\nhello\r\n"), Created: time.Now()}
	if err := st.Save(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func TestDaemonRefusesBadStarts(t *testing.T) {
	t.Run("config error names file:line:col", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "msyshost.conf", daemonConf+"Retry_Intervall = 5\n")
		write(t, dir, "policy.lua", policy("1"))
		_, stderr, code := run(t, dir, "run", "-c", "msyshost.conf")
		if code != 1 || !strings.Contains(stderr, `msyshost.conf:5:1: unknown option \"Retry_Intervall\" in the global scope`) {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
	})
	t.Run("lenient warns and starts", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "msyshost.conf", daemonConf+"ec_logger \"l\" { mainlog = /x }\n")
		write(t, dir, "policy.lua", policy("1"))
		d := startDaemon(t, dir, "--lenient")
		if !strings.Contains(d.logText(), "unknown scope ec_logger") {
			t.Errorf("no warning:\n%s", d.logText())
		}
		d.console("shutdown")
		if err := <-d.exited; err != nil {
			t.Fatalf("exit after console shutdown: %v", err)
		}
	})
	t.Run("broken script refuses unless allowed", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "msyshost.conf", daemonConf)
		write(t, dir, "policy.lua", "local x = = 1\n")
		_, stderr, code := run(t, dir, "run", "-c", "msyshost.conf")
		if code != 1 || !strings.Contains(stderr, "policy.lua:1:") {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		d := startDaemon(t, dir, "--allow-broken-scripts")
		if !strings.Contains(d.logText(), "STARTING WITHOUT A BROKEN SCRIPT") {
			t.Errorf("not loud:\n%s", d.logText())
		}
		out, _ := d.console("scriptlet status")
		if !strings.Contains(out, "not loaded") || !strings.Contains(out, "policy.lua:1:") {
			t.Errorf("status: %q", out)
		}
	})
	t.Run("live socket refused, stale socket replaced", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "msyshost.conf", daemonConf)
		write(t, dir, "policy.lua", policy("1"))
		d := startDaemon(t, dir)
		// A second daemon with its own data directory but the first one's
		// socket.
		write(t, dir, "second.conf", daemonConf+"Control_Listener { Listen \"data/control.sock\" { } }\n")
		_, stderr, code := run(t, dir, "run", "-c", "second.conf", "--data-dir", "data2")
		if code != 1 || !strings.Contains(stderr, "in use by a running daemon") {
			t.Fatalf("second daemon on a live socket: exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(d.socket); err != nil {
			t.Fatalf("the live socket was removed: %v", err)
		}
		// SIGKILL leaves the socket behind; the next start takes it over.
		d.cmd.Process.Kill()
		<-d.exited
		if _, err := os.Stat(d.socket); err != nil {
			t.Fatalf("setup: a killed daemon's socket should remain: %v", err)
		}
		d2 := startDaemon(t, dir)
		if out, err := d2.console("version"); err != nil || !strings.HasPrefix(out, "msyshost ") {
			t.Fatalf("after stale socket: %q %v", out, err)
		}
	})
	t.Run("riak unreachable at start", func(t *testing.T) {
		// A port nothing listens on: the daemon says so, keeps probing,
		// and never falls back to the embedded store.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		dir := t.TempDir()
		write(t, dir, "msyshost.conf", daemonConf+"mstore { servers = (\""+addr+"\") connect_timeout = 1 }\n")
		write(t, dir, "policy.lua", policy("1"))
		_, stderr, code := run(t, dir, "run", "-c", "msyshost.conf")
		if code != 1 || !strings.Contains(stderr, "mstore is a singleton") {
			t.Fatalf("a config with two mstore scopes: exit %d\n%s", code, stderr)
		}
		write(t, dir, "msyshost.conf", strings.Replace(daemonConf, "mstore { retention = 1d }",
			"mstore { retention = 1d servers = (\""+addr+"\") connect_timeout = 1 }", 1))
		d := startDaemon(t, dir)
		log := d.logText()
		if !strings.Contains(log, "riak mstore cannot be reached; retrying every 5s") || !strings.Contains(log, "store=\"riak "+addr+"\"") {
			t.Fatalf("start log:\n%s", log)
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "mstore.db")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("an embedded store was created: %v", err)
		}
		if _, err := d.console("mstore display MADR-1 x"); err == nil || !strings.Contains(err.Error(), addr) {
			t.Fatalf("a console read while Riak is down: %v", err)
		}
	})
	t.Run("unwritable data directory", func(t *testing.T) {
		// A file where the directory should be fails for every user, root
		// included.
		dir := t.TempDir()
		write(t, dir, "data", "a file, not a directory")
		write(t, dir, "msyshost.conf", daemonConf)
		write(t, dir, "policy.lua", policy("1"))
		_, stderr, code := run(t, dir, "run", "-c", "msyshost.conf")
		if code != 1 || !strings.Contains(stderr, "data directory data") {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
	})
}
