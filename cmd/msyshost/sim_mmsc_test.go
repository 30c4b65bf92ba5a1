package main_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"msyshost/lib/mm7"
)

// TestSimMMSCCommand runs `msyshost sim mmsc`, submits an MMS to it and
// waits for its delivery report at a stand-in VASP; SIGINT stops it
// cleanly.
func TestSimMMSCCommand(t *testing.T) {
	reports := make(chan *mm7.DeliveryReportReq, 1)
	vasp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		env, err := mm7.Decode(r.Header.Get("Content-Type"), body, mm7.Limits{})
		if err != nil {
			t.Errorf("report: %v", err)
			return
		}
		reports <- env.Body.(*mm7.DeliveryReportReq)
		ct, out, _ := mm7.Style{}.Encode(&mm7.Envelope{TransactionID: env.TransactionID, Namespace: env.Namespace,
			Body: &mm7.DeliveryReportRsp{MM7Version: "6.8.0", Status: mm7.NewStatus(1000)}})
		w.Header().Set("Content-Type", ct)
		w.Write(out)
	}))
	defer vasp.Close()
	cmd := exec.Command(binary, "sim", "mmsc", "--listen", "127.0.0.1:0", "--report-url", vasp.URL,
		"--delay", "10ms", "--mix", "Expired=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner: %v (%s)", err, stderr.String())
	}
	url, _, ok := strings.Cut(strings.TrimPrefix(line, "MMSC simulator on "), ";")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("banner %q", line)
	}
	ct, body, _ := mm7.Style{}.Encode(&mm7.Envelope{TransactionID: "t", Body: &mm7.SubmitReq{MM7Version: "6.8.0",
		SenderAddress: &mm7.Address{Kind: mm7.ShortCode, Value: "4321"}, DeliveryReport: mm7.Bool(true),
		Recipients: mm7.Recipients{To: []mm7.Address{{Kind: mm7.Number, Value: "15557654321"}}},
		// A relay refuses a SubmitReq without content (2007), as the simulator does.
		Content: &mm7.Entity{Header: []mm7.Field{{Name: "Content-Type", Value: "text/plain"}}, Body: []byte("hi")}}})
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	env, err := mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	if err != nil || env.Body.(*mm7.SubmitRsp).Status.Code != 1000 {
		t.Fatalf("SubmitRsp: %v %s", err, raw)
	}
	select {
	case dr := <-reports:
		if dr.MMStatus != "Expired" || dr.MessageID != env.Body.(*mm7.SubmitRsp).MessageID || dr.Sender.Value != "4321" {
			t.Errorf("report %+v", dr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery report")
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "SubmitReq") {
		t.Errorf("no log of the submission:\n%s", stderr.String())
	}
}
