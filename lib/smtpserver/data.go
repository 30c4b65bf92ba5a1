package smtpserver

import (
	"bytes"
	"io"

	"github.com/emersion/go-smtp"
)

// maxTransactionBytes bounds a transaction's declared SIZE times its
// recipients: each recipient's copy may become its own when a policy
// edits it, and all are held until the one transaction that queues them.
const maxTransactionBytes = 1 << 30

// maxReceived is how many Received header fields a message may carry
// (RFC 5321 6.3: a count high enough means a loop; Postfix and Exim use
// 50 and 100); past it, 554 5.4.6.
const maxReceived = 50

// errBareLineEnd is a message with a CR or LF not part of a CRLF.
var errBareLineEnd = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: "Message refused: a bare CR or LF; lines end with CRLF (RFC 5321 2.3.8)"}

// errLoop is a message that went around too many times.
var errLoop = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6},
	Message: "Too many Received headers: mail loop"}

// readMessage reads a message into one buffer that starts with prefix
// (the trace header), sized from the SIZE the client declared, so the
// bytes are held once. A line ending in a bare CR or LF is refused: a
// server that reads it as a line end differently from the next hop lets a
// client smuggle a second message past policy (SMTP smuggling; as
// Postfix's smtpd_forbid_bare_newline and mox do). So is a message with
// more than maxReceived Received fields.
func readMessage(r io.Reader, prefix []byte, declared, limit int64) ([]byte, error) {
	hint := declared
	if hint <= 0 || limit > 0 && hint > limit {
		hint = 0
	}
	var b bytes.Buffer
	b.Grow(len(prefix) + int(hint) + 512)
	b.Write(prefix)
	if _, err := b.ReadFrom(r); err != nil {
		return nil, err
	}
	raw := b.Bytes()
	body := raw[len(prefix):]
	if bareLineEnd(body) >= 0 {
		return nil, errBareLineEnd
	}
	if received(body) >= maxReceived {
		return nil, errLoop
	}
	return raw, nil
}

// bareLineEnd returns the index of the first CR not followed by LF or LF
// not preceded by CR, -1 when there is none.
func bareLineEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\r':
			if i+1 == len(b) || b[i+1] != '\n' {
				return i
			}
			i++
		case '\n':
			return i
		}
	}
	return -1
}

// received counts the Received fields of the header section.
func received(b []byte) int {
	n := 0
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\r\n"))
		if len(line) == 0 {
			break // the blank line ends the header section
		}
		if len(line) >= 9 && bytes.EqualFold(line[:9], []byte("received:")) {
			n++
		}
		b = rest
	}
	return n
}
