// Package crashtest runs one role of a test in a child process of the test
// binary, for tests that must kill a process (SIGKILL at random points) or
// limit its resources (RLIMIT_FSIZE for a full disk) without touching the
// test process itself, and reads what the child reports line by line.
package crashtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Child is a running child: Lines reads its stdout, Stdin writes to it.
type Child struct {
	Cmd   *exec.Cmd
	Lines *bufio.Scanner
	Stdin io.WriteCloser
}

// Start runs this test binary again, running only test, with env=value in
// its environment: the test sees the variable and plays the child's role.
// The child's stderr is the test's.
func Start(t testing.TB, test, env, value string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &Child{Cmd: cmd, Lines: bufio.NewScanner(out), Stdin: stdin}
}

// Printer writes one line per call straight to stdout, unbuffered, so a
// line the parent reads was written before the child died.
type Printer struct{ mu sync.Mutex }

// Line prints one line.
func (p *Printer) Line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}
