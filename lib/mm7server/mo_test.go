package mm7server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"

	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/spool"
)

// An MO MM's attachment carries header fields of the relay's (or the
// sender's) choosing and a binary body. The e-mail gets only its Content-*
// fields, and a body SMTP carries: the picture base64-encoded.
func TestMOMessageIsMailSafe(t *testing.T) {
	f := setup(t, mm7server.Options{FromDomain: "mms.example.com", ToAddress: "inbox@example.com"})
	soap := `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><TransactionID xmlns="` + mm7.DefaultNamespace +
		`">mo</TransactionID></env:Header><env:Body><DeliverReq xmlns="` + mm7.DefaultNamespace + `"><MM7Version>6.8.0</MM7Version>` +
		`<MMSRelayServerID>r</MMSRelayServerID><Sender><Number>447700900555</Number></Sender><Content href="cid:c"/></DeliverReq></env:Body></env:Envelope>`
	picture := "\xff\xd8\x00\x0a\x0d\xff"
	body := "--b\r\nContent-Type: text/xml\r\n\r\n" + soap + "\r\n--b\r\nContent-Type: image/jpeg\r\nContent-ID: <c>\r\n" +
		"Content-Transfer-Encoding: binary\r\nFrom: ceo@bank.example\r\nBcc: victim@example.com\r\n\r\n" + picture + "\r\n--b--\r\n"
	code, env := post(t, f.srv.URL(), "multipart/related; boundary=b; type=text/xml", []byte(body))
	if rsp, ok := env.Body.(*mm7.DeliverRsp); code != 200 || !ok || rsp.Status.Code != 1000 {
		t.Fatalf("HTTP %d %+v", code, env)
	}
	inj, _ := f.rec.Take()
	if len(inj) != 1 {
		t.Fatalf("%d injected", len(inj))
	}
	raw := inj[0].Raw()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if from := msg.Header["From"]; len(from) != 1 || from[0] != "<447700900555@mms.example.com>" {
		t.Errorf("From fields %q", from)
	}
	if bcc := msg.Header["Bcc"]; len(bcc) != 0 {
		t.Errorf("Bcc smuggled in: %q", bcc)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "base64" {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}
	b, _ := io.ReadAll(msg.Body)
	got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
	if err != nil || string(got) != picture {
		t.Errorf("picture %q %v", got, err)
	}
	for i, c := range raw {
		if c >= 0x80 || c == 0 {
			t.Fatalf("8-bit byte %#x at %d of the e-mail", c, i)
		}
	}
}

// Recipients are the relay's to name, but only inside the configured
// domain or address: an e-mail recipient keeps its local part, never its
// domain.
func TestMORecipientsStayInTheConfiguredDomain(t *testing.T) {
	f := setup(t, mm7server.Options{FromDomain: "mms.example.com", ToDomain: "inbox.example.com"})
	code, env := postEnv(t, f.srv.URL(), &mm7.Envelope{TransactionID: "mo2", Body: &mm7.DeliverReq{MM7Version: "6.8.0",
		Sender:     mm7.Address{Kind: mm7.Number, Value: "447700900555"},
		Recipients: mm7.Recipients{To: []mm7.Address{{Kind: mm7.RFC2822Address, Value: "anyone@elsewhere.example"}, shortcode4321}}}})
	if code != 200 || env.Fault != nil {
		t.Fatalf("HTTP %d %+v", code, env)
	}
	inj, _ := f.rec.Take()
	var to []string
	for _, m := range inj {
		to = append(to, m.RcptTo)
	}
	if strings.Join(to, " ") != "anyone@inbox.example.com 4321@inbox.example.com" {
		t.Errorf("recipients %v", to)
	}
}

// flakyInjector fails the first injection for one recipient.
type flakyInjector struct {
	spool.Recorder
	mu     sync.Mutex
	failed bool
	fail   string
}

func (f *flakyInjector) Inject(ctx context.Context, m *message.Message) error {
	f.mu.Lock()
	if m.RcptTo == f.fail && !f.failed {
		f.failed = true
		f.mu.Unlock()
		return errors.New("spool full")
	}
	f.mu.Unlock()
	return f.Recorder.Inject(ctx, m)
}

// The second recipient's injection fails; the relay sends the DeliverReq
// again (same TransactionID) and only the missing copy is queued: every
// recipient gets the message once.
func TestMOResendQueuesOnlyWhatIsMissing(t *testing.T) {
	inj := &flakyInjector{fail: "7788@example.com"}
	f := setup(t, mm7server.Options{FromDomain: "mms.example.com", ToDomain: "example.com", Injector: inj})
	mo := &mm7.Envelope{TransactionID: "mo3", Body: &mm7.DeliverReq{MM7Version: "6.8.0",
		Sender:     mm7.Address{Kind: mm7.Number, Value: "447700900555"},
		Recipients: mm7.Recipients{To: []mm7.Address{shortcode4321, {Kind: mm7.ShortCode, Value: "7788"}}}}}
	code, env := postEnv(t, f.srv.URL(), mo)
	wantFault(t, code, env, mm7.ServerError, "Server")
	code, env = postEnv(t, f.srv.URL(), mo)
	if code != 200 || env.Fault != nil {
		t.Fatalf("resend: HTTP %d %+v", code, env)
	}
	injected, _ := inj.Take()
	count := map[string]int{}
	for _, m := range injected {
		count[m.RcptTo]++
	}
	if count["4321@example.com"] != 1 || count["7788@example.com"] != 1 || len(injected) != 2 {
		t.Errorf("injected %v", count)
	}
}
