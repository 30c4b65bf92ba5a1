package embedded

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t *testing.T, path string, clock *mstoretest.Clock) *Store {
	t.Helper()
	s, err := Open(path, Options{Now: clock.Now, Logger: quiet(), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
		return openTest(t, filepath.Join(t.TempDir(), "mstore.db"), clock)
	})
}
