package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRefusesIncludes(t *testing.T) {
	for _, src := range []string{`include "x.conf"`, "Domain d { readonly_include \"/etc\" }"} {
		_, err := Parse("p.conf", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "includes are only followed by Load") {
			t.Errorf("Parse(%q) error %v", src, err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "etc/msyshost.conf", "include \"../shared/common.conf\"\nDomain d { include \"dom\" }\n")
	write(t, dir, "shared/common.conf", "a = 1\n")
	write(t, dir, "etc/dom/b.conf", "b = 2\n")
	write(t, dir, "etc/dom/a.conf", "c = 3\n")
	c, err := Load(filepath.Join(dir, "etc/msyshost.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Eval(Scope{}, "a"); !ok || v.String() != "1" {
		t.Errorf("a = %q, %v", v.String(), ok)
	}
	d := c.Root().Scopes("domain")[0]
	if len(d.Options) != 2 || d.Options[0].Name != "c" || d.Options[1].Name != "b" {
		t.Errorf("directory include order: %+v", d.Options)
	}
	if got, want := d.Options[0].Pos.File, filepath.Join(dir, "etc/dom/a.conf"); got != want {
		t.Errorf("file %q, want %q", got, want)
	}

	_, err = Load(filepath.Join(dir, "missing.conf"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadIncludeCycles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "self.conf", "x = 1\ninclude \"self.conf\"\n")
	write(t, dir, "d/all.conf", "include \".\"\n")
	write(t, dir, "twice.conf", "include \"self-free.conf\"\ninclude \"self-free.conf\"\n")
	write(t, dir, "self-free.conf", "y = 1\n")
	for _, tt := range []struct{ file, want string }{
		{"self.conf", "self.conf:2:1: include cycle: "},
		{"d/all.conf", "all.conf:1:1: include cycle: "},
	} {
		_, err := Load(filepath.Join(dir, tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.file, err, tt.want)
		}
	}
	c, err := Load(filepath.Join(dir, "twice.conf"))
	if err != nil {
		t.Fatalf("including one file twice is not a cycle: %v", err)
	}
	if n := len(c.Root().Options); n != 2 {
		t.Errorf("%d options, want 2", n)
	}
}

func TestLoadSymlinkCycle(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.conf", "include \"link.conf\"\n")
	if err := os.Symlink(filepath.Join(dir, "a.conf"), filepath.Join(dir, "link.conf")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	_, err := Load(filepath.Join(dir, "a.conf"))
	if err == nil || !strings.Contains(err.Error(), "include cycle") {
		t.Errorf("error %v, want an include cycle", err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.conf", "include \"d\"\ninclude \"d/a.conf\"\n")
	write(t, dir, "d/a.conf", "a = 1\n")
	write(t, dir, "d/b.conf", "b = 1\n")
	c, err := Load(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The directory is listed so that a reloader sees a file dropped into it.
	want := []string{filepath.Join(dir, "main.conf"), filepath.Join(dir, "d"), filepath.Join(dir, "d/a.conf"), filepath.Join(dir, "d/b.conf")}
	if got := c.Files(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

// TestLoadDirectorySymlinks: os.ReadDir reports a symlink as a symlink, not
// as what it points to. A link to a directory is skipped like any
// subdirectory; a link to a file is included.
func TestLoadDirectorySymlinks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.conf", "include \"conf.d\"\n")
	write(t, dir, "conf.d/a.conf", "a = 1\n")
	write(t, dir, "conf.d/sub/skipped.conf", "skipped = 1\n")
	write(t, dir, "real/x.conf", "x = 1\n")
	write(t, dir, "other/f.conf", "f = 1\n")
	if err := os.Symlink("../real", filepath.Join(dir, "conf.d/zlink")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	if err := os.Symlink("../other/f.conf", filepath.Join(dir, "conf.d/b.conf")); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range c.Root().Options {
		got = append(got, o.Name)
	}
	if strings.Join(got, " ") != "a f" {
		t.Errorf("options %v, want [a f]", got)
	}

	if err := os.Symlink("../missing.conf", filepath.Join(dir, "conf.d/c.conf")); err != nil {
		t.Fatal(err)
	}
	_, err = Load(filepath.Join(dir, "main.conf"))
	if err == nil || !strings.Contains(err.Error(), "main.conf:1:9: include \"conf.d\": ") || !strings.Contains(err.Error(), "c.conf") {
		t.Errorf("dangling symlink: error %v", err)
	}
}

func TestNestingLimit(t *testing.T) {
	deep := strings.Repeat("a { ", maxDepth) + strings.Repeat("} ", maxDepth)
	if _, err := Parse("n.conf", []byte(deep)); err != nil {
		t.Fatalf("%d levels: %v", maxDepth, err)
	}
	deeper := strings.Repeat("a { ", maxDepth+1) + strings.Repeat("} ", maxDepth+1)
	_, err := Parse("n.conf", []byte(deeper))
	if want := "n.conf:1:401: scopes nested more than 100 deep"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestByteOrderMark(t *testing.T) {
	c, err := Parse("bom.conf", []byte("\xEF\xBB\xBFa = 1"))
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := c.Root().Get("a"); !ok || o.Pos.Col != 1 {
		t.Errorf("a: %+v %v", o, ok)
	}
}
