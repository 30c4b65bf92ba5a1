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

// maxPrealloc is the most readMessage reserves before the bytes arrive: a
// declared SIZE is a claim, and a client that declares 20 MiB and then
// sends nothing must not pin 20 MiB for a whole Data_Timeout (fifty such
// sessions held a gigabyte); past it the buffer grows with what comes.
const maxPrealloc = 64 << 10

// readMessage reads a message into one buffer that starts with prefix
// (the trace header), sized from the SIZE the client declared up to
// maxPrealloc, so a small message's bytes are held once. A line ending in a bare CR or LF is refused: a
// server that reads it as a line end differently from the next hop lets a
// client smuggle a second message past policy (SMTP smuggling; as
// Postfix's smtpd_forbid_bare_newline and mox do). So is a message with
// more than maxReceived Received fields.
func readMessage(r io.Reader, prefix []byte, declared, limit int64) ([]byte, error) {
	hint := declared
	if hint <= 0 || limit > 0 && hint > limit {
		hint = 0
	}
	hint = min(hint, maxPrealloc)
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

// errBareLineEndOfData is a client that ended its message with a dot line
// ended or begun by a bare LF: it waits for an answer while go-smtp, as
// RFC 5321 4.1.1.4 says, still waits for CRLF.CRLF, until Idle_Time.
// clientConn.Read sees it in the raw bytes (dataEnd) and fails the next
// read with it, so it is answered at once and disconnected, as Postfix
// does (smtpd_forbid_bare_newline: "521 5.5.2 Error: bare <LF> received").
// Not seen: after STARTTLS (the bytes are TLS records), and in bytes read
// with the DATA command itself (a client that did not wait for 354).
var errBareLineEndOfData = &smtp.SMTPError{Code: 521, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
	Message: "Message refused: it ended with a bare LF; lines end with CRLF (RFC 5321 2.3.8), closing connection"}

// dataEnd follows the raw bytes of a message as they arrive and reports
// an end-of-data line written with a bare LF: "\n.\n", or "\n.\r\n" whose
// first LF is bare. It starts after the CRLF that ended DATA.
type dataEnd struct{ last [5]byte }

func newDataEnd() dataEnd { return dataEnd{last: [5]byte{3: '\r', 4: '\n'}} }

func (d *dataEnd) bare(b []byte) bool {
	for _, c := range b {
		copy(d.last[:], d.last[1:])
		d.last[4] = c
		l := d.last
		if c == '\n' && (l[2] == '\n' && l[3] == '.' || l[0] != '\r' && l[1] == '\n' && l[2] == '.' && l[3] == '\r') {
			return true
		}
	}
	return false
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
