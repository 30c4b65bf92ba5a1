package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/message"
)

// bucketKeys counts the keys of a bucket.
func bucketKeys(t *testing.T, s *Spool, name []byte) int {
	t.Helper()
	n := 0
	s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(name).Stats().KeyN; return nil })
	return n
}

// TestBatchSharesContent: the copies of one message for 51 recipients are
// stored once, and the content goes with the last of them. Before the fix
// each recipient's copy was written whole: a 4 MiB message to 50
// recipients made a 216 MiB spool.
func TestBatchSharesContent(t *testing.T) {
	r := newRouter(nil)
	path := filepath.Join(t.TempDir(), "spool.db")
	s := openTest(t, path, Options{Router: r})
	orig := message.FromRaw("a@example.com", "", []byte("Subject: big\r\n\r\n"+strings.Repeat(strings.Repeat("x", 78)+"\r\n", 256<<10/80)))
	var copies []*message.Message
	for i := range 50 {
		c := orig.Clone()
		c.RcptTo = fmt.Sprintf("r%d@example.net", i)
		copies = append(copies, c)
	}
	edited := orig.Clone() // one copy a policy changed has its own content
	edited.RcptTo = "edited@example.net"
	if err := edited.SetHeader("X-Edited", []string{"yes"}, message.ModeAppend); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(context.Background(), append(copies, edited)...); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 2<<20 {
		t.Fatalf("51 copies of a 256 KiB message (two contents) made a %d KiB spool", fi.Size()>>10)
	}
	if n := bucketKeys(t, s, bucketContent); n != 2 {
		t.Fatalf("%d contents stored, want 2 (the shared one and the edited copy)", n)
	}
	e, raw, err := s.Get(copies[49].ID)
	if err != nil || string(raw) != string(orig.Raw()) || e.Size != len(raw) {
		t.Fatalf("copy read back: %v (%d bytes)", err, len(raw))
	}
	start(t, s)
	got := r.wait(t, 51)
	for _, m := range got {
		if m.RcptTo == "edited@example.net" != strings.Contains(string(m.Raw()), "X-Edited: yes") {
			t.Fatalf("%s delivered with the wrong content", m.RcptTo)
		}
	}
	waitFor(t, "an empty spool", func() bool { st, _ := s.Stats(); return st.Delivered == 51 })
	if c, refs := bucketKeys(t, s, bucketContent), bucketKeys(t, s, bucketRefs); c != 0 || refs != 0 {
		t.Fatalf("%d contents and %d reference counts left after every copy was delivered", c, refs)
	}
}

// TestLayout1Upgraded opens a spool file written by the version-1 layout
// (testdata/spool-layout1.db: two messages of one batch, each with its own
// content, the second after a failed attempt), upgrades it in place, and
// delivers both. Never regenerate the fixture.
func TestLayout1Upgraded(t *testing.T) {
	data, err := os.ReadFile("testdata/spool-layout1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRouter(nil)
	s := openTest(t, path, Options{Router: r})
	var layout []byte
	s.db.View(func(tx *bolt.Tx) error { layout = append(layout, tx.Bucket(bucketMeta).Get(keyLayout)...); return nil })
	if len(layout) != 1 || layout[0] != layoutVersion {
		t.Fatalf("layout after opening: %x", layout)
	}
	all, err := s.List("all")
	if err != nil || len(all) != 2 {
		t.Fatalf("listed %+v, %v", all, err)
	}
	second, _, err := s.Get("00/02-00001-00000002")
	if err != nil || second.RcptTo != "two@example.org" || second.Attempts != 1 || second.LastError == nil || second.LastError.Code != 451 {
		t.Fatalf("the second message read back as %+v, %v", second, err)
	}
	if err := s.Retry(context.Background(), second.ID); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	for _, m := range r.wait(t, 2) {
		if !strings.Contains(string(m.Raw()), "Subject: test for "+m.RcptTo) || m.BatchID != "batch-1" {
			t.Fatalf("delivered %s as %q", m.RcptTo, m.Raw())
		}
	}
	waitFor(t, "an empty spool", func() bool { st, _ := s.Stats(); return st.Delivered == 2 })
	if n := bucketKeys(t, s, bucketContent); n != 0 {
		t.Fatalf("%d contents left", n)
	}
	if id := s.NewID(); id == "00/01-00001-00000001" || !strings.Contains(id, "-00002-") {
		t.Fatalf("first id of the upgraded file's next epoch: %s", id)
	}
}

// TestIDInUseRefused: Enqueue never overwrites a stored message. Before
// the fix an id met twice (here forced by rewinding the sequence) replaced
// the queued message, which was lost.
func TestIDInUseRefused(t *testing.T) {
	s := openTest(t, "", Options{})
	first := msg("a@example.com", "first@example.net")
	if err := s.Enqueue(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	s.seq.Store(0)
	if err := s.Enqueue(context.Background(), msg("a@example.com", "second@example.net")); err == nil {
		t.Fatal("an id in use was written over")
	}
	if e, _, err := s.Get(first.ID); err != nil || e.RcptTo != "first@example.net" {
		t.Fatalf("the first message after the clash: %+v, %v", e, err)
	}
}

// TestDamagedMessageFromConsole: a message whose record is damaged can be
// looked at (message details) and removed (message fail), as FORMAT.md
// promises. Before the fix both answered only the decoding error.
func TestDamagedMessageFromConsole(t *testing.T) {
	s := openTest(t, "", Options{})
	m := msg("a@example.com", "b@example.net")
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages)
		v := append([]byte(nil), b.Get([]byte(m.ID))...)
		v[10] ^= 0xff
		return b.Put([]byte(m.ID), v)
	})
	e, _, err := s.Get(m.ID)
	if err != nil || !strings.Contains(e.Damaged, "checksum mismatch") || e.ID != m.ID {
		t.Fatalf("details of a damaged message: %+v, %v", e, err)
	}
	if err := s.Fail(context.Background(), m.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(m.ID); err == nil {
		t.Fatal("damaged message still there after message fail")
	}
	if c, d := bucketKeys(t, s, bucketContent), bucketKeys(t, s, bucketDue); c != 0 || d != 0 {
		t.Fatalf("%d contents and %d due entries left", c, d)
	}
}
