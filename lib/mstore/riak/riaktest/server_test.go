package riaktest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	riakclient "github.com/basho/riak-go-client"

	"msyshost/lib/mstore/riak/riaktest"
)

// pbPut stores value under bucket/key with riak-go-client, as msyshost's
// PB servers do, with user metadata mstore-expires.
func pbPut(t *testing.T, srv *riaktest.Server, bucket, key string, value []byte) {
	t.Helper()
	node, err := riakclient.NewNode(&riakclient.NodeOptions{RemoteAddress: strings.TrimPrefix(srv.PBAddr(), "pb://")})
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := riakclient.NewCluster(&riakclient.ClusterOptions{Nodes: []*riakclient.Node{node}, NoDefaultNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	cmd, err := riakclient.NewStoreValueCommandBuilder().WithBucket(bucket).WithKey(key).
		WithContent(&riakclient.Object{Value: value, ContentType: "application/octet-stream",
			UserMeta: []*riakclient.Pair{{Key: "mstore-expires", Value: "42"}}}).Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.Execute(cmd); err != nil {
		t.Fatal(err)
	}
}

// get sends method to the object's URL with the given headers (a nil
// value removes Go's default of that header).
func get(t *testing.T, srv *riaktest.Server, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+srv.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestNegotiation checks the node answers as Riak KV 3.2.0 does to the
// encodings a client accepts, for an object written over PB by
// riak-go-client (empty charset and encoding) and one written over HTTP.
func TestNegotiation(t *testing.T) {
	srv := riaktest.Start(t)
	value := bytes.Repeat([]byte("riak "), 1000)
	pbPut(t, srv, "b", "pb", value)
	const pbPath, httpPath = "/buckets/b/keys/pb", "/buckets/b/keys/http"
	put := get(t, srv, http.MethodPut, httpPath, nil)
	if put.StatusCode != http.StatusBadRequest {
		t.Fatalf("PUT without Content-Type: %s, want 400", put.Status)
	}
	req, _ := http.NewRequest(http.MethodPut, "http://"+srv.HTTPAddr()+httpPath, bytes.NewReader(value))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Riak-Meta-Mstore-Expires", "42")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT: %v %v", resp, err)
	}

	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		for _, ae := range []string{"gzip", "identity"} {
			if resp := get(t, srv, method, pbPath, map[string]string{"Accept-Encoding": ae, "Content-Type": "application/octet-stream"}); resp.StatusCode != http.StatusNotAcceptable {
				t.Errorf("%s of a PB-written object accepting %s: %s, want 406", method, ae, resp.Status)
			}
		}
	}
	resp := get(t, srv, http.MethodGet, pbPath, map[string]string{"Accept-Encoding": "identity;q=1.0, *;q=0.5"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, value) || resp.Header.Get("Mstore-Expires") != "42" || resp.Header.Get("X-Riak-Meta-Mstore-Expires") != "" {
		t.Fatalf("GET of a PB-written object accepting *: %s, %d bytes, headers %v", resp.Status, len(body), resp.Header)
	}
	if ce, ok := resp.Header["Content-Encoding"]; !ok || ce[0] != "" {
		t.Errorf("PB-written object served with Content-Encoding %q, want the empty encoding it was stored with", ce)
	}

	resp = get(t, srv, http.MethodGet, httpPath, map[string]string{"Accept-Encoding": "gzip"})
	zr, err := gzip.NewReader(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || err != nil {
		t.Fatalf("GET of an HTTP-written object accepting gzip: %s, %v, %v", resp.Status, resp.Header, err)
	}
	if body, _ := io.ReadAll(zr); !bytes.Equal(body, value) || resp.Header.Get("X-Riak-Meta-Mstore-Expires") != "42" {
		t.Fatalf("gzipped answer holds %d bytes, headers %v", len(body), resp.Header)
	}
	if srv.GzipAnswers() != 1 {
		t.Fatalf("GzipAnswers = %d, want 1", srv.GzipAnswers())
	}
	resp = get(t, srv, http.MethodGet, httpPath, map[string]string{"Accept-Encoding": "identity;q=1.0, *;q=0.5"})
	if body, _ := io.ReadAll(resp.Body); resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, value) {
		t.Fatalf("GET accepting identity first: %v, %d bytes", resp.Header, len(body))
	}
}

// TestStartingAnswers checks a starting node's answers: webmachine's HTML
// 404 for every path, Riak's own text/plain not-found once it runs.
func TestStartingAnswers(t *testing.T) {
	srv := riaktest.Start(t)
	srv.SetPhase(riaktest.KVStarting)
	for _, path := range []string{"/ping", "/buckets/b/keys/k"} {
		resp := get(t, srv, http.MethodGet, path, nil)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "text/html" {
			t.Fatalf("GET %s while starting: %s %s, want webmachine's HTML 404", path, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
	srv.SetPhase(riaktest.Running)
	resp := get(t, srv, http.MethodGet, "/buckets/b/keys/k", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "text/plain" || string(body) != "not found\n" {
		t.Fatalf("GET of a missing key: %s %s %q, want Riak's text/plain not found", resp.Status, resp.Header.Get("Content-Type"), body)
	}
}
