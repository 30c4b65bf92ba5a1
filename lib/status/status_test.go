package status

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestErrorText(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Protocol: SMTP, Code: 550, Enhanced: "5.1.1", Text: "no such user"}, "smtp 550 5.1.1 (permanent): no such user"},
		{&Error{Protocol: SMPP, Code: 0x58, Temporary: true, Text: "ESME_RTHROTTLED", Component: "smpp binding b1"}, "smpp binding b1: smpp status 0x00000058 (temporary): ESME_RTHROTTLED"},
		{&Error{Protocol: Store, Temporary: true, Err: io.ErrUnexpectedEOF}, "mstore (temporary): unexpected EOF"},
		{&Error{Protocol: MM7, Code: 3001, Text: "server error", Err: io.EOF}, "mm7 3001 (permanent): server error: EOF"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestTemporaryThroughWrapping(t *testing.T) {
	perm := fmt.Errorf("delivering to carrier: %w", Permanentf(SMPP, 0x0B, "", "invalid destination"))
	if IsTemporary(perm) {
		t.Error("a wrapped permanent status reads as temporary")
	}
	if !IsTemporary(fmt.Errorf("dial: %w", errors.New("connection refused"))) {
		t.Error("an error without status must count as temporary so nothing is bounced by accident")
	}
	if IsTemporary(nil) {
		t.Error("nil is not a failure")
	}
}

func TestSMTPReply(t *testing.T) {
	cases := []struct {
		err       error
		code      int
		enh, text string
	}{
		{Permanentf(Policy, 550, "5.1.1", "No such address"), 550, "5.1.1", "No such address"},
		{Temporaryf(SMTP, 452, "", "too many recipients"), 452, "4.0.0", "too many recipients"},
		{Temporaryf(Spool, 0, "4.3.1", "disk full"), 451, "4.3.1", "disk full"},
		{Permanentf(MM7, 4004, "5.1.1", "unknown recipient"), 554, "5.1.1", "unknown recipient"},
		{Permanentf(SMPP, 0x0B, "", "bad destination"), 554, "5.3.0", "bad destination"},
		{errors.New("boom"), 451, "4.3.0", "temporary failure, try again later"},
	}
	for _, c := range cases {
		code, enh, text := SMTPReply(c.err)
		if code != c.code || enh != c.enh || text != c.text {
			t.Errorf("SMTPReply(%v) = %d %s %q, want %d %s %q", c.err, code, enh, text, c.code, c.enh, c.text)
		}
	}
}
