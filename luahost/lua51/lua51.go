// Package lua51 locates PUC Lua 5.1, the reference interpreter every
// differential test compares msyshost with. Tests that need it fail, never
// skip, when it is missing, and say how to install it: `make test` on a
// machine without it must not pass quietly with the comparisons left out.
package lua51

import (
	"os"
	"os/exec"
	"testing"
)

// Binary is where Debian's lua5.1 package installs the interpreter.
const Binary = "/usr/bin/lua5.1"

// Path returns the interpreter's path, or fails t with the install hint.
func Path(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("%s is missing (%v): install it with `apt-get install lua5.1` (`make deps` does); msyshost's differential tests compare with PUC Lua 5.1", Binary, err)
	}
	return Binary
}

// Command returns lua5.1 with args, or fails t with the install hint.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(Path(t), args...)
}
