// Package message owns the host's message: envelope, RFC 5322 content,
// context dictionaries and the per-message state that policy can change
// (routing domain, binding, code, discard). It is Lua-free; the Lua binding
// lives in lib/msys/extended/message.
package message

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// Context selectors, as msys.core.ECMESS_CTX_MESS / ECMESS_CTX_CONN.
const (
	CtxMess = 0
	CtxConn = 1
)

// Message is one message for one recipient, as Momentum's ec_message.
type Message struct {
	ID      string
	ConnID  string
	BatchID string

	MailFrom string
	RcptTo   string

	raw []byte
	// root is the parsed MIME tree, built on first use; dirty means it
	// was edited and raw is stale until Raw serialises it.
	root  *Part
	dirty bool

	Context     map[string]string
	ConnContext map[string]string

	RoutingDomain string
	Binding       string
	BindingGroup  string
	Priority      int
	Code          string
	Discarded     bool
}

var idSeq atomic.Uint64

// New returns an empty message with a fresh id.
func New() *Message {
	return &Message{
		ID:          NewID(),
		Context:     map[string]string{},
		ConnContext: map[string]string{},
	}
}

// FromRaw returns a message holding raw (an RFC 5322 message).
func FromRaw(mailFrom, rcptTo string, raw []byte) *Message {
	m := New()
	m.MailFrom, m.RcptTo = mailFrom, rcptTo
	m.raw = append([]byte(nil), raw...)
	return m
}

// Raw returns the whole message, headers and body, with every edit made
// through the MIME tree applied. It carries no SMTP end-of-data line and is
// not dot-stuffed. The bytes may be shared with clones and the spool: the
// caller must not change them (an edit through the message makes new ones).
func (m *Message) Raw() []byte {
	if m.dirty && m.root != nil {
		m.raw = m.root.Bytes()
		m.dirty = false
	}
	return m.raw
}

// SetRaw replaces the whole message. Parts taken from the old MIME tree
// are detached (Part.Detached): editing them no longer changes the message.
func (m *Message) SetRaw(raw []byte) {
	if m.root != nil {
		m.root.detached = true
	}
	m.raw = append([]byte(nil), raw...)
	m.root, m.dirty = nil, false
}

// AdoptRaw is SetRaw without the copy, for a message received or built
// whole: m takes raw, and the caller must not change it afterwards.
func (m *Message) AdoptRaw(raw []byte) {
	m.SetRaw(nil)
	m.raw = raw
}

// Root returns the top of the message's MIME tree.
func (m *Message) Root() *Part {
	if m.root == nil {
		m.root = parsePart(m, m.raw, lineBreak(m.raw), 0)
	}
	return m.root
}

// Clone returns a copy with a fresh id. The content is shared, not
// copied: a message's bytes are never changed in place (an edit builds new
// ones), so a message sent to a hundred recipients is held once until a
// policy edits one of the copies.
func (m *Message) Clone() *Message {
	c := *m
	c.ID = NewID()
	c.raw = m.Raw()
	c.root, c.dirty = nil, false
	c.Context = cloneMap(m.Context)
	c.ConnContext = cloneMap(m.ConnContext)
	return &c
}

func cloneMap(src map[string]string) map[string]string {
	dst := make(map[string]string, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

var idPID = uint32(os.Getpid() % 100000)

// NewID returns an id shaped like Momentum's ("53/6B-18426-1AAEACF3"): unique
// within the process, ordered by creation.
func NewID() string {
	n := idSeq.Add(1)
	return fmt.Sprintf("%02X/%02X-%05d-%08X", byte(n>>8), byte(n), idPID, uint32(n)^uint32(time.Now().Unix()<<8))
}
