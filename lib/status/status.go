// Package status owns the one error type that carries a protocol result
// through msyshost: an SMTP reply, an SMPP command_status, an MM7
// StatusCode, a store or policy failure. Logging, the reply a client gets
// and the spool's retry-or-bounce decision all read the same value.
package status

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Protocol names where a status came from; it decides how Code is read.
type Protocol string

const (
	SMTP   Protocol = "smtp"   // Code is an SMTP reply code (RFC 5321 4.2)
	SMPP   Protocol = "smpp"   // Code is an SMPP v3.4 command_status (5.1.3)
	MM7    Protocol = "mm7"    // Code is an MM7 StatusCode (TS 23.140 8.7.4)
	Store  Protocol = "mstore" // the message store; Code unused
	Policy Protocol = "policy" // a script decided; Code is the SMTP reply it set
	Spool  Protocol = "spool"  // the queue itself (disk full, expired)
)

// Error is a protocol result that is not a success.
type Error struct {
	Protocol Protocol
	// Code is the protocol's own number (see Protocol); 0 when none.
	Code int
	// Enhanced is the RFC 3463 enhanced status code ("5.1.1"), when known.
	Enhanced string
	// Text is what the peer or policy said, for logs and DSNs.
	Text string
	// Temporary says whether trying again later may succeed: the spool
	// retries temporary failures and bounces permanent ones.
	Temporary bool
	// Component names the part of msyshost that met the result
	// ("smpp binding carrier1", "smtp out"), for logs.
	Component string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Component != "" {
		b.WriteString(e.Component)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Protocol))
	if e.Code != 0 {
		switch e.Protocol {
		case SMPP:
			fmt.Fprintf(&b, " status 0x%08X", e.Code)
		default:
			fmt.Fprintf(&b, " %d", e.Code)
		}
	}
	if e.Enhanced != "" {
		b.WriteString(" " + e.Enhanced)
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	if e.Text != "" {
		b.WriteString(": " + e.Text)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporaryf returns a temporary error of protocol p.
func Temporaryf(p Protocol, code int, enhanced, format string, args ...any) *Error {
	return &Error{Protocol: p, Code: code, Enhanced: enhanced, Text: fmt.Sprintf(format, args...), Temporary: true}
}

// Permanentf returns a permanent error of protocol p.
func Permanentf(p Protocol, code int, enhanced, format string, args ...any) *Error {
	return &Error{Protocol: p, Code: code, Enhanced: enhanced, Text: fmt.Sprintf(format, args...)}
}

// Of returns the status error in err's chain, if there is one.
func Of(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// IsTemporary reports whether err may succeed when tried again. An error
// that carries no status (a network error, a bug) counts as temporary:
// a message is never bounced because msyshost could not tell.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if e, ok := Of(err); ok {
		return e.Temporary
	}
	return true
}

// SMTPReply returns the SMTP reply that answers err to a client: the
// error's own when it is an SMTP or policy status, otherwise 451 4.3.0 for a
// temporary failure and 554 5.3.0 for a permanent one.
func SMTPReply(err error) (code int, enhanced, text string) {
	e, ok := Of(err)
	if !ok {
		return 451, "4.3.0", "temporary failure, try again later"
	}
	if (e.Protocol == SMTP || e.Protocol == Policy) && e.Code >= 400 && e.Code < 600 {
		enh := e.Enhanced
		if enh == "" {
			enh = fmt.Sprintf("%d.0.0", e.Code/100)
		}
		return e.Code, enh, e.Text
	}
	if e.Temporary {
		enh := e.Enhanced
		if !strings.HasPrefix(enh, "4.") {
			enh = "4.3.0"
		}
		return 451, enh, e.Text
	}
	enh := e.Enhanced
	if !strings.HasPrefix(enh, "5.") {
		enh = "5.3.0"
	}
	return 554, enh, e.Text
}

// ValidEnhanced reports whether s is an RFC 3463 enhanced status code
// ("class.subject.detail", subject and detail 0-999) whose class is the
// first digit of the reply code.
func ValidEnhanced(s string, code int) bool {
	class, rest, ok := strings.Cut(s, ".")
	if !ok || class != strconv.Itoa(code/100) {
		return false
	}
	subject, detail, ok := strings.Cut(rest, ".")
	return ok && threeDigits(subject) && threeDigits(detail)
}

func threeDigits(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
