package mm7server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

// FuzzServe posts arbitrary bodies to the receiver. Every answer is an MM7
// document: a response with StatusCode 1000 (HTTP 200) or a SOAP Fault
// with a VASPErrorRsp (HTTP 500); nothing panics.
func FuzzServe(f *testing.F) {
	for _, env := range []*mm7.Envelope{
		report("m1", "Retrieved", shortcode4321),
		report("m2", "Expired", mm7.Address{Value: "4321", Bare: true}),
		{TransactionID: "r", Body: &mm7.ReadReplyReq{MM7Version: "6.8.0", MessageID: "m", Recipient: shortcode4321, Sender: shortcode4321, MMStatus: "Read"}},
	} {
		ct, body, _ := mm7.Style{}.Encode(env)
		f.Add(ct, body)
	}
	f.Add("multipart/related; boundary=b; type=text/xml", []byte("--b\r\n\r\n<x/>\r\n--b--\r\n"))
	st, err := embedded.Open(filepath.Join(f.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	rec := &spool.Recorder{}
	core := &retry.Core{Store: st, Hooks: &hooks{}, Bouncer: rec, ParkTimeout: -1}
	srv := mm7server.New(mm7server.Options{Core: core, Injector: rec, FromDomain: "d", ToDomain: "d"})
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/mm7/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		env, err := mm7.Decode(w.Header().Get("Content-Type"), w.Body.Bytes(), mm7.Limits{})
		if err != nil {
			t.Fatalf("answer HTTP %d is not MM7: %v\n%s", w.Code, err, w.Body.Bytes())
		}
		switch w.Code {
		case http.StatusOK:
			if env.Fault != nil || env.Body == nil {
				t.Fatalf("200 without a response: %+v", env)
			}
		case http.StatusInternalServerError:
			if env.Fault == nil || env.Fault.Detail == nil || !env.Fault.Detail.VASP {
				t.Fatalf("500 without a VASPErrorRsp: %+v", env)
			}
		default:
			t.Fatalf("HTTP %d", w.Code)
		}
		rec.Take()
	})
}
