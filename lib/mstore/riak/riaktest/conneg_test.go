package riaktest

import "testing"

// TestChooseToken checks the encoding and charset choice answers as
// webmachine_util:do_choose/3 does, odd answers included.
func TestChooseToken(t *testing.T) {
	for _, c := range []struct {
		choices []string
		accept  string
		want    string // "" with ok false means 406
		ok      bool
	}{
		// An object riak-go-client stored (empty encoding).
		{[]string{""}, "gzip", "", false},
		{[]string{""}, "identity", "", false},
		{[]string{""}, defaultAcceptEncoding, "", true},
		{[]string{""}, "identity;q=1.0, *;q=0.5", "", true},
		{[]string{""}, "*", "", true},
		// An object stored without an encoding.
		{defaultEncodings, "gzip", "gzip", true},
		{defaultEncodings, defaultAcceptEncoding, "identity", true},
		{defaultEncodings, "identity;q=1.0, *;q=0.5", "identity", true},
		{defaultEncodings, "br", "identity", true},
		{defaultEncodings, "gzip, identity", "identity", true}, // equal q: the greater token first
		{defaultEncodings, "identity;q=0, *;q=0", "", false},
		{defaultEncodings, "identity;q=0, gzip;q=0.5", "gzip", true},
		// Charsets, negotiated with "*" when the request names none.
		{[]string{""}, "*", "", true},
		{[]string{"utf-8"}, "ISO-8859-1", "", false},
		{[]string{"UTF-8"}, "utf-8", "UTF-8", true},
	} {
		got, ok := chooseToken(c.choices, c.accept, "identity")
		if got != c.want || ok != c.ok {
			t.Errorf("chooseToken(%q, %q) = %q, %v; want %q, %v", c.choices, c.accept, got, ok, c.want, c.ok)
		}
	}
}

// TestChooseMediaType checks the Accept choice answers as
// webmachine_util:choose_media_type/2 does.
func TestChooseMediaType(t *testing.T) {
	const backend = "multipart/mixed, application/octet-stream;q=0.9, */*;q=0.5"
	siblings := []string{"text/plain", "multipart/mixed"}
	for _, c := range []struct {
		provided []string
		accept   string
		want     string
	}{
		{[]string{"application/octet-stream"}, backend, "application/octet-stream"},
		{[]string{"text/plain"}, backend, "text/plain"},
		{siblings, backend, "multipart/mixed"},
		{siblings, "*/*", "text/plain"},
		{[]string{"application/octet-stream"}, "text/*", ""},
		{[]string{"text/plain"}, "text/*", "text/plain"},
		{siblings, "text/plain, multipart/mixed", "multipart/mixed"}, // equal q: the last one first
		{[]string{"application/octet-stream"}, "application/octet-stream;level=1", ""},
	} {
		got, ok := chooseMediaType(c.provided, c.accept)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("chooseMediaType(%q, %q) = %q, %v; want %q", c.provided, c.accept, got, ok, c.want)
		}
	}
}
