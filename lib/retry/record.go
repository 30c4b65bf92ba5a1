package retry

import (
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mstore"
)

// RecordOf makes the stored record of a message.
func RecordOf(m *message.Message, key mstore.Key, origin mstore.Origin, now time.Time) *mstore.Record {
	return &mstore.Record{
		Key:         key,
		MailFrom:    m.MailFrom,
		RcptTo:      m.RcptTo,
		Raw:         append([]byte(nil), m.Raw()...),
		Context:     copyMap(m.Context),
		ConnContext: copyMap(m.ConnContext),
		Origin:      origin,
		Created:     now,
	}
}

// MessageOf rebuilds a message from its stored record, with a fresh id.
func MessageOf(r *mstore.Record) *message.Message {
	m := message.FromRaw(r.MailFrom, r.RcptTo, r.Raw)
	m.Context = copyMap(r.Context)
	m.ConnContext = copyMap(r.ConnContext)
	return m
}

func copyMap(src map[string]string) map[string]string {
	dst := make(map[string]string, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
