package mm7

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// Content-IDs of the parts msyshost writes. RFC 2392 wants them unique
// worldwide; what matters to a relay is that the Content href resolves
// inside the message.
const (
	soapContentID = "mm7-soap"
	mmsContentID  = "mms-content"
)

// Encode returns the HTTP Content-Type and body that carry env: plain
// text/xml, or, when a SubmitReq or DeliverReq has content,
// SOAP-with-attachments (TS 23.140 clause 8): a multipart/related whose
// start part is the envelope and whose second part is the MMS content the
// Content element's href names.
func (s Style) Encode(env *Envelope) (contentType string, body []byte, err error) {
	content, e := attach(env)
	if content != nil {
		if err := content.CheckHeader(); err != nil {
			return "", nil, fmt.Errorf("MMS content of %s: %w", env.BodyName(), err)
		}
	}
	xml, err := s.Marshal(e)
	if err != nil {
		return "", nil, err
	}
	if content == nil {
		return "text/xml; charset=utf-8", xml, nil
	}
	boundary := s.Boundary
	if boundary == "" {
		boundary = NewBoundary()
	}
	soap := &Entity{Header: []Field{
		{"Content-Type", `text/xml; charset="utf-8"`},
		{"Content-ID", "<" + soapContentID + ">"},
	}, Body: xml}
	mp := NewMultipart("multipart/related", boundary,
		map[string]string{"type": "text/xml", "start": "<" + soapContentID + ">"}, []*Entity{soap, content})
	return mp.Get("Content-Type"), mp.Body, nil
}

// attach returns the content to attach and the envelope to write, whose
// Content href names it; env itself is not changed.
func attach(env *Envelope) (*Entity, *Envelope) {
	var content *Entity
	var href *string
	var copyEnv Envelope = *env
	switch m := env.Body.(type) {
	case *SubmitReq:
		if m.Content != nil {
			c := *m
			copyEnv.Body, content, href = &c, m.Content, &c.ContentHref
		}
	case *DeliverReq:
		if m.Content != nil {
			c := *m
			copyEnv.Body, content, href = &c, m.Content, &c.ContentHref
		}
	}
	if content == nil {
		return nil, env
	}
	cp := &Entity{Header: append([]Field(nil), content.Header...), Body: content.Body}
	cid := cp.ContentID()
	if c, ok := strings.CutPrefix(*href, "cid:"); ok {
		cid = c
		if u, err := url.PathUnescape(c); err == nil {
			cid = u
		}
	} else if *href != "" {
		// An href naming a Content-Location stays as it is.
		if cp.Get("Content-Location") == "" {
			cp.Set("Content-Location", *href)
		}
		return cp, &copyEnv
	}
	if cid == "" {
		cid = mmsContentID
	}
	cp.Set("Content-ID", "<"+cid+">")
	if *href == "" {
		*href = "cid:" + cid
	}
	return cp, &copyEnv
}

// NewBoundary returns a random multipart boundary.
func NewBoundary() string {
	var b [12]byte
	rand.Read(b[:])
	return "mm7-" + hex.EncodeToString(b[:])
}

// Decode reads an HTTP request or response body: a bare SOAP envelope or
// a SOAP-with-attachments multipart/related whose start part (or first
// part, when start is not given) is the envelope. The content a SubmitReq or
// DeliverReq names in its Content href is attached to it, and its MIME
// structure checked within lim. A body that is not what it claims is an
// *Error (4004 for the XML, 2007 for the MIME).
func Decode(contentType string, body []byte, lim Limits) (*Envelope, error) {
	lim = lim.orDefault()
	mt, params, err := parseMediaType(contentType)
	if strings.TrimSpace(contentType) == "" {
		mt, err = "text/xml", nil
	}
	if err != nil {
		return nil, &Error{Code: ValidationError, Text: fmt.Sprintf("Content-Type %q: %v", contentType, err)}
	}
	if !strings.HasPrefix(mt, "multipart/") {
		if mt != "text/xml" && mt != "application/xml" {
			return nil, &Error{Code: ValidationError, Text: fmt.Sprintf("Content-Type %s is not a SOAP message", mt)}
		}
		return parseEnvelope(body, lim, params["charset"])
	}
	count := 0
	parts, err := splitMultipart(body, params["boundary"], lim, &count)
	if err != nil {
		return nil, &Error{Code: MessageFormatCorrupt, Text: err.Error()}
	}
	start := 0
	if s := strings.Trim(params["start"], "<> "); s != "" {
		if start = partByID(parts, s); start < 0 {
			return nil, &Error{Code: MessageFormatCorrupt, Text: fmt.Sprintf("no part has the start Content-ID <%s>", s)}
		}
	}
	// Some SOAP stacks transfer-encode the envelope part too (base64 or
	// quoted-printable); the XML is what it decodes to.
	soap, err := parts[start].Decoded()
	if err != nil {
		return nil, &Error{Code: MessageFormatCorrupt, Text: "SOAP part: " + err.Error()}
	}
	_, soapParams := parts[start].MediaType()
	env, err := parseEnvelope(soap, lim, soapParams["charset"])
	if err != nil {
		return env, err
	}
	rest := append(append([]*Entity(nil), parts[:start]...), parts[start+1:]...)
	var href string
	var dst **Entity
	switch m := env.Body.(type) {
	case *SubmitReq:
		href, dst = m.ContentHref, &m.Content
	case *DeliverReq:
		href, dst = m.ContentHref, &m.Content
	default:
		return env, nil
	}
	c, err := resolve(href, rest)
	if err != nil {
		return env, err
	}
	if c != nil {
		if err := c.check(lim, 0, &count); err != nil {
			return env, &Error{Code: MessageFormatCorrupt, Text: "MMS content: " + err.Error()}
		}
	}
	*dst = c
	return env, nil
}

// partByID returns the index of the part whose Content-ID is id, -1 when
// none is. Content-IDs are compared exactly first, then without regard to
// case: SOAP stacks differ in how they case the start parameter against
// the part's own Content-ID.
func partByID(parts []*Entity, id string) int {
	for i, p := range parts {
		if p.ContentID() == id {
			return i
		}
	}
	for i, p := range parts {
		if strings.EqualFold(p.ContentID(), id) {
			return i
		}
	}
	return -1
}

// resolve finds the attachment an href names: "cid:" and a Content-ID
// (RFC 2392, URL-escaped), or a Content-Location. Without an href, the
// attachments are the content: some VASPs and relays leave the Content
// element out and attach the MM's parts one by one, and those parts are
// the MM whether there is one or several (several become one
// multipart/related, the SMIL part first when there is one).
func resolve(href string, parts []*Entity) (*Entity, error) {
	if href == "" {
		switch len(parts) {
		case 0:
			return nil, nil
		case 1:
			return parts[0], nil
		}
		return related(parts), nil
	}
	if cid, ok := strings.CutPrefix(href, "cid:"); ok {
		if u, err := url.PathUnescape(cid); err == nil {
			cid = u
		}
		if i := partByID(parts, cid); i >= 0 {
			return parts[i], nil
		}
	} else {
		for _, p := range parts {
			if strings.TrimSpace(p.Get("Content-Location")) == href {
				return p, nil
			}
		}
	}
	return nil, &Error{Code: MessageFormatCorrupt, Text: fmt.Sprintf("Content href %q names no attachment", href)}
}

// related wraps loose attachments into one multipart/related entity.
func related(parts []*Entity) *Entity {
	params := map[string]string{}
	ordered := append([]*Entity(nil), parts...)
	for i, p := range parts {
		if mt, _ := p.MediaType(); mt == "application/smil" {
			params["type"] = "application/smil"
			if id := p.ContentID(); id != "" {
				params["start"] = "<" + id + ">"
			}
			ordered = append(append([]*Entity{p}, parts[:i]...), parts[i+1:]...)
			break
		}
	}
	return NewMultipart("multipart/related", NewBoundary(), params, ordered)
}
