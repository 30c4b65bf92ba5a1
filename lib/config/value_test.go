package config

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// val parses `v = <text>` and returns the value.
func val(t *testing.T, text string) Value {
	t.Helper()
	c, err := Parse("v.conf", []byte("\nv = "+text))
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	o, ok := c.Root().Get("v")
	if !ok {
		t.Fatal("v not set")
	}
	return o.Value
}

func TestValueBool(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"true", true, false}, {"TRUE", true, false}, {"on", true, false}, {"enabled", true, false},
		{"1", true, false}, {`"yes"`, false, true}, {"false", false, false}, {"Off", false, false},
		{"disabled", false, false}, {"0", false, false}, {"2", false, true}, {`""`, false, true},
		{"( true )", false, true},
	} {
		got, err := val(t, tt.in).Bool()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Bool(%s) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := val(t, "maybe").Bool()
	var ce *Error
	if !errors.As(err, &ce) || ce.Pos.Line != 2 || ce.Pos.File != "v.conf" {
		t.Fatalf("error %v does not carry v.conf:2", err)
	}
	if want := `v.conf:2:1: v: expected a boolean (true/false, on/off, enabled/disabled, 1/0), found "maybe"`; err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}

func TestValueInt(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"10", 10, false}, {"0", 0, false}, {"0666", 0o666, false}, {"0x1F", 31, false},
		{"-5", -5, false}, {"+7", 7, false}, {"08", 0, true}, {"0x", 0, true}, {"", 0, true},
		{"1_000", 0, true}, {"12a", 0, true}, {"--1", 0, true}, {"-0x10", -16, false},
		{"99999999999999999999", 0, true}, {"( 1 )", 0, true}, {"[ a = 1 ]", 0, true},
		{"9223372036854775807", math.MaxInt64, false}, {"-9223372036854775808", math.MinInt64, false},
		{"9223372036854775808", 0, true}, {"-9223372036854775809", 0, true},
		{"0x7fffffffffffffff", math.MaxInt64, false}, {"-0x8000000000000000", math.MinInt64, false},
		{"-01000000000000000000000", math.MinInt64, false}, {"0x_1", 0, true}, {"+-1", 0, true},
		{"-+1", 0, true}, {`" 1"`, 0, true}, {"019", 0, true}, {"00", 0, false}, {"0x0", 0, false},
	} {
		in := tt.in
		if in == "" {
			in = `""`
		}
		got, err := val(t, in).Int()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Int(%s) = %v, %v; want %v, error %v", in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestValueDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"14d", 14 * day, false}, {"36h", 36 * time.Hour, false}, {"90m", 90 * time.Minute, false},
		{"3600s", time.Hour, false}, {"3600", time.Hour, false}, {"500ms", 500 * time.Millisecond, false},
		{"2w", 14 * day, false}, {"1D", day, false}, {"0", 0, false},
		{`""`, 0, true}, {"d", 0, true}, {"-1s", 0, true}, {"1.5h", 0, true}, {"1h30m", 0, true},
		{"5x", 0, true}, {"999999999999d", 0, true}, {"( 1s )", 0, true},
	} {
		got, err := val(t, tt.in).Duration()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Duration(%s) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestValueListDictString(t *testing.T) {
	l := val(t, `( a "b c" 'd' )`)
	if l.Kind() != List || !reflect.DeepEqual(l.List(), []string{"a", "b c", "d"}) || l.Dict() != nil {
		t.Errorf("list: kind %v, %q, %v", l.Kind(), l.List(), l.Dict())
	}
	if got := l.String(); got != `( "a" "b c" "d" )` {
		t.Errorf("list String() = %s", got)
	}
	s := val(t, `"x y"`)
	if s.Kind() != Scalar || s.String() != "x y" || !reflect.DeepEqual(s.List(), []string{"x y"}) || s.Dict() != nil {
		t.Errorf("scalar: %v %q %q", s.Kind(), s.String(), s.List())
	}
	d := val(t, `[ k = "v" k2 = w k = last ]`)
	if d.Kind() != Dict || !reflect.DeepEqual(d.Dict(), map[string]string{"k": "last", "k2": "w"}) || d.List() != nil {
		t.Errorf("dict: %v %v %q", d.Kind(), d.Dict(), d.List())
	}
	if got := d.Pairs(); len(got) != 3 || got[1] != (Pair{"k2", "w"}) {
		t.Errorf("pairs %v", got)
	}
	if e := val(t, "()"); len(e.List()) != 0 || e.Kind() != List {
		t.Errorf("empty list %q", e.List())
	}
	_, err := l.Bool()
	if err == nil || !strings.Contains(err.Error(), "found a list") {
		t.Errorf("Bool of a list: %v", err)
	}
}
