package message

import (
	"strings"
	"testing"
)

// TestPatternLetsALargeSubjectGo: a cached pattern keeps a small subject
// buffer for reuse but not a large one (review item 21: the last subject,
// a whole message body, stayed in memory for the pattern's life).
func TestPatternLetsALargeSubjectGo(t *testing.T) {
	re, err := CompileRegexp(`b+`)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	big := []byte(strings.Repeat("a", 1<<20) + "bbb")
	if m, err := re.Find(big); err != nil || m == nil || m.Groups[0] != "bbb" {
		t.Fatalf("find in a large subject: %+v, %v", m, err)
	}
	if c := cap(re.subject); c > keptSubject {
		t.Fatalf("the pattern keeps a %d-byte subject buffer after matching", c)
	}
	if _, _, err := re.ReplaceAll(big, "x"); err != nil {
		t.Fatal(err)
	}
	if c := cap(re.subject); c > keptSubject {
		t.Fatalf("the pattern keeps a %d-byte subject buffer after replacing", c)
	}
	if _, err := re.Find([]byte("abba")); err != nil || cap(re.subject) == 0 {
		t.Fatalf("a small subject's buffer is kept for reuse: cap %d, %v", cap(re.subject), err)
	}
}
