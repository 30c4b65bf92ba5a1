package smpp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// writer builds a PDU body.
type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

// cstr writes a C-octet string (3.1): the text and a NUL. Encode checks
// limits before anything is written, so text here already fits.
func (w *writer) cstr(s string) { w.b = append(append(w.b, s...), 0) }
func (w *writer) raw(b []byte)  { w.b = append(w.b, b...) }

// reader takes a PDU body apart. Every read is bounded by the body.
// lenient is set for responses: what a peer's answer gets wrong beyond
// its status is read past rather than refused (see Decode).
type reader struct {
	b       []byte
	off     int
	id      CommandID
	lenient bool
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) u8(field string) (uint8, error) {
	if r.left() < 1 {
		return 0, r.short(field)
	}
	v := r.b[r.off]
	r.off++
	return v, nil
}

func (r *reader) u32(field string) (uint32, error) {
	if r.left() < 4 {
		return 0, r.short(field)
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// short reports a body that ends inside a mandatory field: the
// command_length did not cover the fields the command requires.
func (r *reader) short(field string) error {
	return errorf(RInvCmdLen, field, "%s body ends before this field", r.id)
}

// cstr reads a C-octet string of at most max octets, its NUL included
// (3.1, and the size column of each PDU's table in section 4). A string
// that is too long or has no NUL is answered with st, the status section
// 5.1.3 has for that field.
func (r *reader) cstr(field string, max int, st Status) (string, error) {
	rest := r.b[r.off:]
	n := bytes.IndexByte(rest, 0)
	if r.lenient && n < 0 && len(rest) < max {
		// A response's string may end with the body when the peer left
		// the NUL out.
		r.off = len(r.b)
		return string(rest), nil
	}
	if n < 0 {
		if len(rest) >= max {
			return "", errorf(st, field, "longer than %d octets", max-1)
		}
		return "", errorf(RInvCmdLen, field, "C-octet string without its NUL")
	}
	if n+1 > max {
		return "", errorf(st, field, "%d octets, at most %d allowed", n, max-1)
	}
	r.off += n + 1
	return string(rest[:n]), nil
}

// fixedTime reads schedule_delivery_time or validity_period (7.1.1):
// either NULL or a 16-character time and its NUL.
func (r *reader) fixedTime(field string, st Status) (string, error) {
	s, err := r.cstr(field, 17, st)
	if err != nil {
		return "", err
	}
	if s != "" && len(s) != 16 {
		return "", errorf(st, field, "time %q is not 16 characters", s)
	}
	return s, nil
}

func (r *reader) bytes(field string, n int) ([]byte, error) {
	if r.left() < n {
		return nil, r.short(field)
	}
	v := append([]byte(nil), r.b[r.off:r.off+n]...)
	r.off += n
	return v, nil
}

// Encode returns the wire form of p, setting p.Length. A field over its
// limit is an error naming it: msyshost never sends what a strict SMSC
// must refuse.
func Encode(p *PDU) ([]byte, error) {
	if p.Body == nil {
		p.Body = &Empty{ID: p.ID}
	}
	if p.Body.Command() != p.ID {
		return nil, fmt.Errorf("smpp: encoding %s with a %s body", p.ID, p.Body.Command())
	}
	if v, ok := p.Body.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", p.ID, err)
		}
	}
	w := &writer{b: make([]byte, HeaderLen, 64)}
	// A response with an error status carries no body (5.1.3: "the
	// message body will be null" is what SMSCs do for negative
	// responses; bind and submit responses are parsed only on success).
	if p.Status == ROK || !p.ID.IsResponse() {
		p.Body.encode(w)
	}
	if len(w.b) > MaxLen {
		return nil, fmt.Errorf("smpp: encoding %s: %d octets, more than %d", p.ID, len(w.b), MaxLen)
	}
	p.Length = uint32(len(w.b))
	binary.BigEndian.PutUint32(w.b[0:], p.Length)
	binary.BigEndian.PutUint32(w.b[4:], uint32(p.ID))
	binary.BigEndian.PutUint32(w.b[8:], uint32(p.Status))
	binary.BigEndian.PutUint32(w.b[12:], p.Seq)
	return w.b, nil
}

// Decode parses one whole PDU. On failure the returned PDU still carries
// the header when it could be read, so the caller can answer the right
// sequence number, and the *Error says with which command_status.
func Decode(b []byte) (*PDU, error) {
	if len(b) < HeaderLen {
		return nil, &Error{Status: RInvCmdLen, Msg: fmt.Sprintf("%d octets, shorter than a header", len(b)), Fatal: true}
	}
	p := &PDU{Header: Header{
		Length: binary.BigEndian.Uint32(b[0:]),
		ID:     CommandID(binary.BigEndian.Uint32(b[4:])),
		Status: Status(binary.BigEndian.Uint32(b[8:])),
		Seq:    binary.BigEndian.Uint32(b[12:]),
	}}
	if p.Length != uint32(len(b)) {
		return p, &Error{Status: RInvCmdLen, Msg: fmt.Sprintf("command_length %d but %d octets", p.Length, len(b)), Fatal: true}
	}
	body := NewBody(p.ID)
	if body == nil {
		return p, &Error{Status: RInvCmdID, Msg: fmt.Sprintf("unknown or unsupported %s", p.ID)}
	}
	p.Body = body
	// Responses are read leniently: the status in the header is what the
	// peer decided, and an SMSC that accepted a submit_sm but writes its
	// answer oddly (no NUL after the message id, TLVs SMPP v3.4 does not
	// list there, stray octets) has still accepted it. Refusing the answer
	// would send the message again.
	r := &reader{b: b[HeaderLen:], id: p.ID, lenient: p.ID.IsResponse()}
	// A negative response may have an empty body (see Encode).
	if p.ID.IsResponse() && (p.Status != ROK || r.left() == 0) {
		return p, nil
	}
	if err := body.decode(r); err != nil {
		return p, err
	}
	if r.left() != 0 && !r.lenient {
		return p, errorf(RInvCmdLen, "", "%d octets after the last field of %s", r.left(), p.ID)
	}
	return p, nil
}

// Read reads one PDU from r. An io error is returned as is; a PDU that
// cannot be decoded comes back with an *Error (see Decode), after its
// bytes were consumed when its length was sane, so the stream stays in
// step. A command_length out of bounds is Fatal: nothing more can be read.
func Read(r io.Reader) (*PDU, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < HeaderLen || n > MaxLen {
		// The rest of the header, when it is there, names the command and
		// sequence to answer; it is read without waiting for more.
		return nil, &Error{Status: RInvCmdLen, Msg: fmt.Sprintf("command_length %d outside %d..%d", n, HeaderLen, MaxLen), Fatal: true}
	}
	b := make([]byte, n)
	copy(b, hdr[:])
	if _, err := io.ReadFull(r, b[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return Decode(b)
}

// Write encodes p and writes it to w in one call.
func Write(w io.Writer, p *PDU) error {
	b, err := Encode(p)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Answer returns the PDU that answers a request that could not be decoded
// (5.1.3): its own response with the error's status when the command is
// known and has one, generic_nack otherwise.
func Answer(p *PDU, err *Error) *PDU {
	if p != nil && p.ID.HasResponse() && !err.Fatal {
		resp := p.ID.Response()
		return &PDU{Header: Header{ID: resp, Status: err.Status, Seq: p.Seq}, Body: NewBody(resp)}
	}
	var seq uint32
	if p != nil {
		seq = p.Seq
	}
	return &PDU{Header: Header{ID: GenericNack, Status: err.Status, Seq: seq}, Body: &Empty{ID: GenericNack}}
}
