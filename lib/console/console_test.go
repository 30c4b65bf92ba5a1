package console

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"mstore display MADR-1 abc", []string{"mstore", "display", "MADR-1", "abc"}, ""},
		{`  mstore   reinstate "MADR 1" 'a b' x\ y `, []string{"mstore", "reinstate", "MADR 1", "a b", "x y"}, ""},
		{`say ""`, []string{"say", ""}, ""},
		{`mstore display "MADR-1`, nil, `unterminated " quote`},
		{"", nil, ""},
	} {
		got, err := Split(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Split(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestExecDispatchAndSuggestions(t *testing.T) {
	c := New()
	var got []string
	c.Add(Command{Name: "mstore display", Usage: "mstore display B M", Run: func(_ context.Context, args []string) (string, error) {
		got = args
		return "shown\n", nil
	}})
	c.Add(Command{Name: "config reload", Usage: "config reload", Run: func(context.Context, []string) (string, error) { return "ok\n", nil }})
	ctx := context.Background()
	if out, err := c.Exec(ctx, "MSTORE Display MADR-1 abc"); err != nil || out != "shown\n" || !reflect.DeepEqual(got, []string{"MADR-1", "abc"}) {
		t.Fatalf("Exec = %q, %v, args %q", out, err, got)
	}
	if _, err := c.Exec(ctx, "mstroe display x y"); err == nil || !strings.Contains(err.Error(), `unknown command "mstroe display x y"; did you mean: mstore display B M`) {
		t.Fatalf("typo error = %v", err)
	}
	if _, err := c.Exec(ctx, "frobnicate"); err == nil || !strings.Contains(err.Error(), `try "help"`) {
		t.Fatalf("unknown error = %v", err)
	}
	if out, _ := c.Exec(ctx, "help"); out != "config reload\nmstore display B M\nhelp [COMMAND]\n    this list, or one command's usage\nquit\n    end the console session\n" {
		t.Fatalf("help = %q", out)
	}
	if out, err := c.Exec(ctx, "help mstore"); err != nil || out != "mstore display B M\n" {
		t.Fatalf("help mstore = %q, %v", out, err)
	}
	if _, err := c.Exec(ctx, "help mstroe"); err == nil || !strings.Contains(err.Error(), `help: no command "mstroe"; did you mean: mstore display B M`) {
		t.Fatalf("help typo = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate command must panic")
		}
	}()
	c.Add(Command{Name: "config reload"})
}

// FuzzSplit: splitting never panics, and a line without quotes or
// backslashes splits at ASCII white space.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"mstore display MADR-1 abc", `a "b c" 'd' e\ f`, `"unterminated`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := Split(line)
		if strings.ContainsAny(line, `"'\`) {
			return
		}
		if err != nil {
			t.Fatalf("Split(%q): %v", line, err)
		}
		want := strings.FieldsFunc(line, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
		if !reflect.DeepEqual(words, want) && !(len(words) == 0 && len(want) == 0) {
			t.Fatalf("Split(%q) = %q, want %q", line, words, want)
		}
	})
}
