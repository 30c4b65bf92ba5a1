package riak

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzReadSiblings feeds arbitrary 300 Multiple Choices bodies to the
// sibling parser: it may refuse them, never panic.
func FuzzReadSiblings(f *testing.F) {
	f.Add([]byte("\r\n--B\r\nContent-Type: application/octet-stream\r\nX-Riak-Meta-Mstore-Expires: 5\r\n\r\n\x01\x02\r\n--B\r\nX-Riak-Deleted: true\r\n\r\n\r\n--B--\r\n"))
	f.Add([]byte("\r\n--B\r\nContent-Type: application/octet-stream; charset=\r\nContent-Encoding: \r\nmstore-expires: 7\r\n\r\n\x01\r\n--B--\r\n"))
	f.Add([]byte("--B--"))
	f.Add([]byte("Siblings:\nabc\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		vals, err := readSiblings("multipart/mixed; boundary=B", body)
		if err == nil && len(vals) == 0 {
			t.Fatal("no error and no siblings")
		}
	})
}

// TestReadSiblings parses a sibling list as Riak writes it: one sibling
// written over HTTP (its metadata under X-Riak-Meta-), one over PB by
// riak-go-client (empty charset and encoding, metadata under its bare
// name), one tombstone.
func TestReadSiblings(t *testing.T) {
	body := "\r\n--B\r\nContent-Type: application/octet-stream\r\nX-Riak-Meta-Mstore-Expires: 5\r\n\r\n\x01\x02" +
		"\r\n--B\r\nContent-Type: application/octet-stream; charset=\r\nContent-Encoding: \r\nmstore-expires: 7\r\n\r\n\x03" +
		"\r\n--B\r\nX-Riak-Deleted: true\r\n\r\n\r\n--B--\r\n"
	vals, err := readSiblings("multipart/mixed; boundary=B", []byte(body))
	if err != nil || len(vals) != 3 {
		t.Fatalf("readSiblings: %v, %d siblings", err, len(vals))
	}
	if !bytes.Equal(vals[0].data, []byte{1, 2}) || vals[0].expires != 5 || vals[0].deleted {
		t.Fatalf("HTTP-written sibling parsed as %+v", vals[0])
	}
	if vals[1].expires != 7 {
		t.Fatalf("PB-written sibling's bare mstore-expires read as %d, want 7", vals[1].expires)
	}
	if !vals[2].deleted {
		t.Fatalf("tombstone parsed as %+v", vals[2])
	}
	if _, err := readSiblings("text/plain", []byte(body)); err == nil {
		t.Fatal("a text/plain sibling list was accepted")
	}
}

// TestNotFoundTells checks only Riak's own not-found counts as one: a
// text/plain 404 saying "not found" (or, to HEAD, any text/plain 404),
// never webmachine's HTML page of a node still starting.
func TestNotFoundTells(t *testing.T) {
	for _, c := range []struct {
		method, ct, body string
		want             bool
	}{
		{http.MethodGet, "text/plain", "not found\n", true},
		{http.MethodDelete, "text/plain", "not found\n", true},
		{http.MethodHead, "text/plain", "", true},
		{http.MethodGet, "text/html", "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD></HTML>", false},
		{http.MethodHead, "text/html", "", false},
		{http.MethodGet, "text/plain", "Unknown bucket type: x", false},
		{http.MethodGet, "", "not found\n", false},
	} {
		a := &answer{method: c.method, status: http.StatusNotFound, header: http.Header{"Content-Type": {c.ct}}, body: []byte(c.body)}
		if got := a.riakNotFound(); got != c.want {
			t.Errorf("%s 404 %q %q: riakNotFound = %v, want %v", c.method, c.ct, c.body, got, c.want)
		}
	}
}
