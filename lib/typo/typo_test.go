package typo

import (
	"slices"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"mstore", "msotre", 1}, {"mstore", "mtsoer", 2}, {"same", "same", 0}, {"quti", "quit", 1}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestNear(t *testing.T) {
	opts := []string{"Retry_Interval", "Max_Retry_Interval", "Max_Retries", "Message_Expiration"}
	if got := Near("retry_intervall", opts); !slices.Equal(got, []string{"Retry_Interval"}) {
		t.Errorf("got %v", got)
	}
	if got := Near("Max_Retry", opts); !slices.Equal(got, []string{"Max_Retries"}) {
		t.Errorf("got %v", got)
	}
	if got := Near("Data_Spool", opts); len(got) != 0 {
		t.Errorf("a name far from every option suggested %v", got)
	}
	if got := Near("quti", []string{"quit", "help"}); !slices.Equal(got, []string{"quit"}) {
		t.Errorf("got %v", got)
	}
}
