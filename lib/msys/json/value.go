package json

import (
	"errors"
	"math"
	"strconv"
)

// The JSON model is json-c's, the library behind Momentum's json module:
// objects and arrays are shared by reference (assigning one JSON value into
// another stores a reference, as json_object_get does), integers and
// doubles are distinct types, and an object keeps its keys in insertion
// order. A JSON value is nil (null), bool, int64, float64, string, *Object
// or *Array.

// Object is a JSON object: keys in insertion order, a key set again keeps
// its place. Small objects (most contexts) are searched in order; an index
// is built once an object grows past indexAt keys.
type Object struct {
	keys  []string
	vals  []any
	index map[string]int
}

const indexAt = 16

// NewObject returns an empty object.
func NewObject() *Object { return &Object{} }

func (o *Object) find(key string) int {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Set sets key, keeping its place when it exists.
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return
	}
	if o.keys == nil {
		o.keys, o.vals = make([]string, 0, 8), make([]any, 0, 8)
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.index != nil {
		o.index[key] = len(o.keys) - 1
	} else if len(o.keys) > indexAt {
		o.index = make(map[string]int, len(o.keys))
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
}

// Delete removes key.
func (o *Object) Delete(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.index != nil {
		delete(o.index, key)
		for j := i; j < len(o.keys); j++ {
			o.index[o.keys[j]] = j
		}
	}
}

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Array is a JSON array.
type Array struct{ elems []any }

// maxGap bounds how far past its end an array may be assigned to: json-c
// fills the gap with nulls, and an index of 1e9 would otherwise allocate
// gigabytes in one statement.
const maxGap = 1 << 16

// Set sets the 0-based index i, growing the array with nulls.
func (a *Array) Set(i int, v any) error {
	if i < 0 {
		return errors.New("JSON array index out of range")
	}
	if i-len(a.elems) > maxGap {
		return errors.New("JSON array index too far past the end of the array")
	}
	for len(a.elems) <= i {
		a.elems = append(a.elems, nil)
	}
	a.elems[i] = v
	return nil
}

// maxNesting bounds the containers one text may nest: it stops a value
// that contains itself (a.x = a) from recursing without end.
const maxNesting = 1000

var errNesting = errors.New("JSON value nests too deeply (does it contain itself?)")

// appendJSON writes v as json-c's json_object_to_json_string does:
// `{ "k": v, "k2": v2 }`, `[ 1, 2 ]`, doubles with "%f", '/' escaped.
func appendJSON(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		return appendDouble(b, x), nil
	case string:
		return appendString(b, x), nil
	case *Object:
		if depth >= maxNesting {
			return b, errNesting
		}
		b = append(b, '{')
		var err error
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, ' ')
			b = appendString(b, k)
			b = append(b, ": "...)
			if b, err = appendJSON(b, x.vals[i], depth+1); err != nil {
				return b, err
			}
		}
		return append(b, " }"...), nil
	case *Array:
		if depth >= maxNesting {
			return b, errNesting
		}
		b = append(b, '[')
		var err error
		for i, e := range x.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, ' ')
			if b, err = appendJSON(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, " ]"...), nil
	}
	panic("json: value of unexpected type")
}

// appendDouble is json-c's "%f"; NaN and infinities as later json-c
// versions write them, since "%f" would give unparsable "nan".
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, f, 'f', 6, 64)
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as json-c's json_escape_str: the short escapes,
// '/' as "\/", other control bytes as \u00XX, every other byte as is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '/':
			esc = `\/`
		case '\b':
			esc = `\b`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c >= 0x20 {
				continue
			}
		}
		b = append(b, s[start:i]...)
		if esc != "" {
			b = append(b, esc...)
		} else {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Marshal returns v's JSON text.
func Marshal(v any) (string, error) {
	b, err := appendJSON(make([]byte, 0, 256), v, 0)
	return string(b), err
}
