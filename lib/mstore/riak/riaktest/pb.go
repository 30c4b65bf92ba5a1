package riaktest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message codes of Riak's Protocol Buffers API (riak_pb_messages.csv).
const (
	codeErrorResp         = 0
	codePingReq           = 1
	codePingResp          = 2
	codeGetServerInfoReq  = 7
	codeGetServerInfoResp = 8
	codeGetReq            = 9
	codeGetResp           = 10
	codePutReq            = 11
	codePutResp           = 12
	codeDelReq            = 13
	codeDelResp           = 14
)

// maxFrame bounds a request frame; Riak's own default is far larger than
// anything the tests send.
const maxFrame = 64 << 20

func (s *Server) servePB() {
	for {
		c, err := s.pbLn.Accept()
		if err != nil {
			return
		}
		s.pbMu.Lock()
		s.pbConns[c] = struct{}{}
		s.pbMu.Unlock()
		s.conns.Go(func() {
			defer func() {
				s.pbMu.Lock()
				delete(s.pbConns, c)
				s.pbMu.Unlock()
				c.Close()
			}()
			s.pbConn(c)
		})
	}
}

// pbConn serves one connection: frames of <length:32 big-endian> <code:8>
// <message>, where length counts the code byte and the message.
func (s *Server) pbConn(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxFrame {
			return
		}
		frame := make([]byte, n)
		if _, err := io.ReadFull(r, frame); err != nil {
			return
		}
		code, msg := s.pbHandle(frame[0], frame[1:])
		out := binary.BigEndian.AppendUint32(nil, uint32(1+len(msg)))
		out = append(out, code)
		if _, err := c.Write(append(out, msg...)); err != nil {
			return
		}
	}
}

func (s *Server) pbHandle(code byte, msg []byte) (byte, []byte) {
	if s.admit() {
		return pbError("overload", 1)
	}
	f, err := parseFields(msg)
	if err != nil {
		return pbError(fmt.Sprintf("bad message %d: %v", code, err), 1)
	}
	switch code {
	case codePingReq:
		return codePingResp, nil
	case codeGetServerInfoReq:
		// RpbGetServerInfoResp: node = 1, server_version = 2.
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte("riaktest@127.0.0.1"))
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		return codeGetServerInfoResp, protowire.AppendBytes(b, []byte("riaktest"))
	case codeGetReq:
		// RpbGetReq: bucket = 1, key = 2, head = 8, deletedvclock = 9,
		// type = 13.
		loc, err := f.location(13)
		if err != nil {
			return pbError(err.Error(), 1)
		}
		vclock, sibs, found := s.get(loc)
		if !found {
			// Not found is an RpbGetResp with no content and no vclock;
			// a tombstone's vclock is returned when deletedvclock asks.
			if vclock == nil || f.varint(9) == 0 {
				return codeGetResp, nil
			}
			b := protowire.AppendTag(nil, 2, protowire.BytesType)
			return codeGetResp, protowire.AppendBytes(b, vclock)
		}
		head := f.varint(8) != 0
		var b []byte
		for _, sb := range sibs {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendBytes(b, encodeContent(sb, head))
		}
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		return codeGetResp, protowire.AppendBytes(b, vclock)
	case codePutReq:
		// RpbPutReq: bucket = 1, key = 2, vclock = 3, content = 4,
		// type = 16. Return-body options are not supported.
		loc, err := f.location(16)
		if err != nil {
			return pbError(err.Error(), 1)
		}
		if f.varint(7) != 0 || f.varint(11) != 0 {
			return pbError("riaktest: return_body and return_head are not supported", 1)
		}
		content, ok := f.bytes(4)
		if !ok {
			return pbError("content is required", 1)
		}
		cf, err := parseFields(content)
		if err != nil {
			return pbError("bad content: "+err.Error(), 1)
		}
		// RpbContent: value = 1, content_type = 2, usermeta = 9
		// (RpbPair: key = 1, value = 2).
		value, _ := cf.bytes(1)
		ct, _ := cf.bytes(2)
		meta := map[string]string{}
		for _, pair := range cf.all(9) {
			pf, err := parseFields(pair)
			if err != nil {
				return pbError("bad usermeta: "+err.Error(), 1)
			}
			k, _ := pf.bytes(1)
			v, _ := pf.bytes(2)
			meta[strings.ToLower(string(k))] = string(v)
		}
		vclock, _ := f.bytes(3)
		if err := s.put(loc, vclock, value, string(ct), meta); err != nil {
			return pbError(err.Error(), 0)
		}
		return codePutResp, nil
	case codeDelReq:
		// RpbDelReq: bucket = 1, key = 2, vclock = 4, type = 13.
		loc, err := f.location(13)
		if err != nil {
			return pbError(err.Error(), 1)
		}
		vclock, _ := f.bytes(4)
		s.del(loc, vclock)
		return codeDelResp, nil
	default:
		return pbError(fmt.Sprintf("riaktest: unsupported message code %d", code), 1)
	}
}

// pbError is an RpbErrorResp: errmsg = 1, errcode = 2.
func pbError(msg string, code uint64) (byte, []byte) {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(msg))
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	return codeErrorResp, protowire.AppendVarint(b, code)
}

// encodeContent writes an RpbContent: value = 1 (required, so present even
// for a head fetch), content_type = 2, vtag = 5, last_mod = 7,
// last_mod_usecs = 8, usermeta = 9, deleted = 11.
func encodeContent(sb *sibling, head bool) []byte {
	value := sb.value
	if head {
		value = nil
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, value)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(sb.contentType))
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(sb.vtag))
	b = protowire.AppendTag(b, 7, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(sb.lastMod.Unix()))
	b = protowire.AppendTag(b, 8, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(sb.lastMod.Nanosecond()/1000))
	for k, v := range sb.meta {
		var p []byte
		p = protowire.AppendTag(p, 1, protowire.BytesType)
		p = protowire.AppendBytes(p, []byte(k))
		p = protowire.AppendTag(p, 2, protowire.BytesType)
		p = protowire.AppendBytes(p, []byte(v))
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	}
	if sb.deleted {
		b = protowire.AppendTag(b, 11, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	return b
}

// fields is a decoded protobuf message: for each field number, its values
// in order (bytes for length-delimited fields, varints as uint64).
type fields map[protowire.Number][]any

func parseFields(b []byte) (fields, error) {
	f := fields{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			f[num] = append(f[num], v)
			b = b[n:]
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			f[num] = append(f[num], v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return f, nil
}

func (f fields) bytes(num protowire.Number) ([]byte, bool) {
	vs := f[num]
	if len(vs) == 0 {
		return nil, false
	}
	b, ok := vs[len(vs)-1].([]byte)
	return b, ok
}

func (f fields) all(num protowire.Number) [][]byte {
	var out [][]byte
	for _, v := range f[num] {
		if b, ok := v.([]byte); ok {
			out = append(out, b)
		}
	}
	return out
}

func (f fields) varint(num protowire.Number) uint64 {
	vs := f[num]
	if len(vs) == 0 {
		return 0
	}
	v, _ := vs[len(vs)-1].(uint64)
	return v
}

// location reads bucket (1) and key (2); bucket type typeField must be
// absent or "default", the only type the fake has.
func (f fields) location(typeField protowire.Number) (location, error) {
	bucket, _ := f.bytes(1)
	key, _ := f.bytes(2)
	if len(bucket) == 0 || len(key) == 0 {
		return location{}, errors.New("bucket and key are required")
	}
	if t, ok := f.bytes(typeField); ok && string(t) != "default" {
		return location{}, fmt.Errorf("riaktest: bucket type %q does not exist", t)
	}
	return location{string(bucket), string(key)}, nil
}
