package message

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The host converts only the charsets that need no tables beyond these:
// go-message's charset package would pull golang.org/x/text, which the
// module does not carry. Text in any other charset is passed through as
// bytes.

// cp1252 maps Windows-1252's 0x80–0x9F to Unicode; zero means undefined.
var cp1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

func normCharset(cs string) string {
	cs = strings.ToLower(strings.Trim(cs, "\" "))
	switch cs {
	case "", "utf-8", "utf8":
		return "utf-8"
	case "us-ascii", "ascii", "ansi_x3.4-1968":
		return "us-ascii"
	case "iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1":
		return "iso-8859-1"
	case "windows-1252", "cp1252":
		return "windows-1252"
	}
	return cs
}

// knownCharset reports whether the host can convert cs both ways.
func knownCharset(cs string) bool {
	switch normCharset(cs) {
	case "utf-8", "us-ascii", "iso-8859-1", "windows-1252":
		return true
	}
	return false
}

// KnownCharset reports whether ToUTF8 and FromUTF8 convert cs.
func KnownCharset(cs string) bool { return knownCharset(cs) }

// toUTF8 converts b from charset to UTF-8.
func toUTF8(charset string, b []byte) (string, error) {
	switch normCharset(charset) {
	case "utf-8", "us-ascii":
		return string(b), nil
	case "iso-8859-1":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	case "windows-1252":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
			if c >= 0x80 && c < 0xa0 && cp1252[c-0x80] != 0 {
				r[i] = cp1252[c-0x80]
			}
		}
		return string(r), nil
	}
	return "", fmt.Errorf("unsupported charset %q", charset)
}

// fromUTF8 converts s to charset. ok is false when s has characters the
// charset cannot hold (the caller then switches the part to UTF-8).
func fromUTF8(charset, s string) (b []byte, ok bool) {
	switch normCharset(charset) {
	case "utf-8":
		return []byte(s), true
	case "us-ascii":
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return nil, false
			}
		}
		return []byte(s), true
	case "iso-8859-1", "windows-1252":
		cp := normCharset(charset) == "windows-1252"
		out := make([]byte, 0, len(s))
		for _, r := range s {
			switch {
			case r == utf8.RuneError:
				return nil, false
			case r < 0x80 || (r >= 0xa0 && r < 0x100):
				out = append(out, byte(r))
			default:
				found := false
				if cp {
					for i, c := range cp1252 {
						if c == r {
							out = append(out, byte(0x80+i))
							found = true
							break
						}
					}
				}
				if !found {
					return nil, false
				}
			}
		}
		return out, true
	}
	return nil, false
}

// ToUTF8 converts b from charset to UTF-8 (msys.base64.decode and
// msys.qp.decode with a charset). Only the charsets the host knows are
// converted; others are an error.
func ToUTF8(charset string, b []byte) (string, error) {
	if !knownCharset(charset) {
		return "", fmt.Errorf("unsupported charset %q (msyshost converts UTF-8, US-ASCII, ISO-8859-1 and Windows-1252)", charset)
	}
	return toUTF8(charset, b)
}

// FromUTF8 converts UTF-8 text s to charset; a character the charset cannot
// hold is an error.
func FromUTF8(charset, s string) ([]byte, error) {
	if !knownCharset(charset) {
		return nil, fmt.Errorf("unsupported charset %q (msyshost converts UTF-8, US-ASCII, ISO-8859-1 and Windows-1252)", charset)
	}
	b, ok := fromUTF8(charset, s)
	if !ok {
		return nil, fmt.Errorf("the text has characters %s cannot hold", charset)
	}
	return b, nil
}

// Has8Bit reports a byte outside US-ASCII: content that needs 8BITMIME
// (RFC 6152) to travel by SMTP and an 8bit transfer encoding (RFC 2045).
func Has8Bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
