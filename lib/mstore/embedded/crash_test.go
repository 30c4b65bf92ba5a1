package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"msyshost/lib/crashtest"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
)

// The crash and disk-full tests re-execute this test binary; these variables
// switch the child into its role and name its store file.
const (
	crashChildEnv    = "MSYSHOST_MSTORE_CRASH_CHILD"
	diskFullChildEnv = "MSYSHOST_MSTORE_DISKFULL_CHILD"
)

// TestCrashDurability SIGKILLs a child saving and deleting in a loop; every
// save and delete the child saw return must have survived.
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "mstore.db")
	c := crashtest.Start(t, "TestCrashDurability", crashChildEnv, path)
	cmd, lines := c.Cmd, c.Lines
	saved, deleting, deleted := map[string]bool{}, map[string]bool{}, map[string]bool{}
	timer := time.AfterFunc(1500*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	for lines.Scan() {
		verb, id, _ := strings.Cut(lines.Text(), " ")
		switch verb {
		case "saved":
			saved[id] = true
		case "deleting":
			deleting[id] = true
		case "deleted":
			deleted[id] = true
		}
		if len(saved) == 5000 {
			cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", err)
	}
	if len(saved) < 100 {
		t.Fatalf("child reported only %d saves before it was killed", len(saved))
	}
	s := openTest(t, path, mstoretest.NewClock(time.Now()))
	defer s.Close()
	for id := range saved {
		k := mstore.Key{Bucket: "MADR-12345", ID: id}
		_, err := s.Load(context.Background(), k)
		switch {
		case deleted[id]:
			if !errors.Is(err, mstore.ErrNotFound) {
				t.Errorf("%s was reported deleted before the crash, load gives %v", k, err)
			}
		case deleting[id]:
			// Killed mid-delete: present and absent are both correct.
		case err != nil:
			t.Errorf("%s was reported saved before the crash, load gives %v", k, err)
		}
	}
	if !t.Failed() {
		t.Logf("%d saves and %d deletes reported before SIGKILL all survived", len(saved), len(deleted))
	}
}

func crashChild(path string) {
	s, err := Open(path, Options{Logger: quiet(), SweepInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var p crashtest.Printer
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				r := testRecord(int64(w)<<32 | int64(i))
				if err := s.Save(ctx, r); err != nil {
					p.Line("error %v", err)
					return
				}
				p.Line("saved %s", r.ID)
				if i%3 == 0 {
					p.Line("deleting %s", r.ID)
					if err := s.Delete(ctx, r.Key); err != nil {
						p.Line("error %v", err)
						return
					}
					p.Line("deleted %s", r.ID)
				}
			}
		})
	}
	wg.Wait()
	os.Exit(3)
}
