package riaktest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

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

func (s *Server) servePB(ln net.Listener) {
	for {
		c, err := ln.Accept()
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
	r := bufio.NewReader(pacedReader{c, s.currentRate})
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
		node := s.admit()
		code, msg := s.pbHandle(node, frame[0], frame[1:])
		out := binary.BigEndian.AppendUint32(nil, uint32(1+len(msg)))
		out = append(out, code)
		out = append(out, msg...)
		if frame[0] == codePutReq || frame[0] == codeDelReq {
			time.Sleep(node.writeDelay)
		}
		for len(out) > 0 {
			k := len(out)
			if node.rate > 0 {
				k = min(k, pacedChunk)
			}
			if _, err := c.Write(out[:k]); err != nil {
				return
			}
			pace(k, node.rate)
			out = out[k:]
		}
	}
}

// registered reports whether a node in phase p has registered the PB
// service for code: riak_api registers ping and server info when it
// starts, riak_kv its get, put and del later (riak_api_app's SERVICES,
// riak_kv_pb_object's registration).
func registered(p Phase, code byte) bool {
	switch p {
	case APIStarting:
		return false
	case KVStarting:
		return code == codePingReq || code == codeGetServerInfoReq
	}
	return true
}

func (s *Server) pbHandle(n node, code byte, msg []byte) (byte, []byte) {
	if !registered(n.phase, code) {
		// riak_api_pb_server answers a code no service has registered
		// with this errmsg (errcode 0) and keeps the connection.
		return pbError(fmt.Sprintf("Unknown message code: %d", code))
	}
	if n.fail {
		return pbError("overload")
	}
	if code == codePutReq || code == codeDelReq {
		s.writes.Add(1)
	}
	f, err := parseFields(msg)
	if err != nil {
		return pbError(fmt.Sprintf("Message decoding error: %v", err))
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
			return pbError(err.Error())
		}
		vclock, sibs, found := s.c.get(loc)
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
			return pbError(err.Error())
		}
		if f.varint(7) != 0 || f.varint(11) != 0 {
			return pbError("riaktest: return_body and return_head are not supported")
		}
		content, ok := f.bytes(4)
		if !ok {
			return pbError("content is required")
		}
		cf, err := parseFields(content)
		if err != nil {
			return pbError("Message decoding error: " + err.Error())
		}
		// RpbContent: value = 1, content_type = 2, charset = 3,
		// content_encoding = 4, usermeta = 9 (RpbPair: key = 1,
		// value = 2). A charset or encoding field that is present is
		// stored even when empty, as riak_pb_kv_codec:decode_content/1
		// stores any value but undefined.
		value, _ := cf.bytes(1)
		ct, _ := cf.bytes(2)
		sb := &sibling{value: value, contentType: string(ct)}
		if v, ok := cf.bytes(3); ok {
			sb.charset = optional{string(v), true}
		}
		if v, ok := cf.bytes(4); ok {
			sb.encoding = optional{string(v), true}
		}
		for _, p := range cf.all(9) {
			pf, err := parseFields(p)
			if err != nil {
				return pbError("Message decoding error: " + err.Error())
			}
			k, _ := pf.bytes(1)
			v, _ := pf.bytes(2)
			sb.meta = append(sb.meta, pair{string(k), string(v)})
		}
		vclock, _ := f.bytes(3)
		if err := s.c.put(loc, vclock, sb); err != nil {
			// riak_kv_pb_object passes {error, Reason} on as
			// {format, Reason}: the errmsg is the reason printed with ~p,
			// "{too_large,N}".
			return pbError(err.Error())
		}
		return codePutResp, nil
	case codeDelReq:
		// RpbDelReq: bucket = 1, key = 2, vclock = 4, type = 13. A delete
		// of a missing key succeeds.
		loc, err := f.location(13)
		if err != nil {
			return pbError(err.Error())
		}
		vclock, _ := f.bytes(4)
		s.c.del(loc, vclock)
		return codeDelResp, nil
	default:
		return pbError(fmt.Sprintf("Unknown message code: %d", code))
	}
}

// pbError is an RpbErrorResp: errmsg = 1, errcode = 2. riak_api_pb_server
// sends every error with errcode 0.
func pbError(msg string) (byte, []byte) {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(msg))
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	return codeErrorResp, protowire.AppendVarint(b, 0)
}

// encodeContent writes an RpbContent: value = 1 (required, so present even
// for a head fetch), content_type = 2, charset = 3 and content_encoding = 4
// when stored, vtag = 5, last_mod = 7, last_mod_usecs = 8, usermeta = 9
// under the names they were stored with, deleted = 11.
func encodeContent(sb *sibling, head bool) []byte {
	value := sb.value
	if head {
		value = nil
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, value)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(sb.contentType))
	if sb.charset.set {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte(sb.charset.v))
	}
	if sb.encoding.set {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte(sb.encoding.v))
	}
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(sb.vtag))
	b = protowire.AppendTag(b, 7, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(sb.lastMod.Unix()))
	b = protowire.AppendTag(b, 8, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(sb.lastMod.Nanosecond()/1000))
	for _, p := range sb.meta {
		var pb []byte
		pb = protowire.AppendTag(pb, 1, protowire.BytesType)
		pb = protowire.AppendBytes(pb, []byte(p.key))
		pb = protowire.AppendTag(pb, 2, protowire.BytesType)
		pb = protowire.AppendBytes(pb, []byte(p.value))
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendBytes(b, pb)
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
