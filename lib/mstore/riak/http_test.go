package riak

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzReadSiblings feeds arbitrary 300 Multiple Choices bodies to the
// sibling parser: it may refuse them, never panic.
func FuzzReadSiblings(f *testing.F) {
	f.Add([]byte("\r\n--B\r\nContent-Type: application/octet-stream\r\nX-Riak-Meta-Mstore-Expires: 5\r\n\r\n\x01\x02\r\n--B\r\nX-Riak-Deleted: true\r\n\r\n\r\n--B--\r\n"))
	f.Add([]byte("--B--"))
	f.Add([]byte("Siblings:\nabc\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := &http.Response{
			Header: http.Header{"Content-Type": {"multipart/mixed; boundary=B"}},
			Body:   io.NopCloser(bytes.NewReader(body)),
		}
		vals, err := readSiblings(resp)
		if err == nil && len(vals) == 0 {
			t.Fatal("no error and no siblings")
		}
	})
}

func TestReadSiblings(t *testing.T) {
	body := "\r\n--B\r\nContent-Type: application/octet-stream\r\nX-Riak-Meta-Mstore-Expires: 5\r\n\r\n\x01\x02\r\n--B\r\nX-Riak-Deleted: true\r\n\r\n\r\n--B--\r\n"
	resp := &http.Response{
		Header: http.Header{"Content-Type": {"multipart/mixed; boundary=B"}},
		Body:   io.NopCloser(bytes.NewReader([]byte(body))),
	}
	vals, err := readSiblings(resp)
	if err != nil || len(vals) != 2 {
		t.Fatalf("readSiblings: %v, %d siblings", err, len(vals))
	}
	if !bytes.Equal(vals[0].data, []byte{1, 2}) || vals[0].expires != 5 || vals[0].deleted || !vals[1].deleted {
		t.Fatalf("siblings parsed as %+v", vals)
	}
	resp.Header.Set("Content-Type", "text/plain")
	if _, err := readSiblings(resp); err == nil {
		t.Fatal("a text/plain sibling list was accepted")
	}
}
