package smpp

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// gsmBasic is the GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1),
// indexed by septet. 0x1B is the escape to the extension table.
var gsmBasic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsmExt is the extension table (3GPP TS 23.038 6.2.1.1): each of these is
// sent as ESC (0x1B) and the septet, so it counts twice toward a segment.
var gsmExt = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

var (
	gsmEncode    = map[rune]byte{}
	gsmExtEncode = map[rune]byte{}
)

func init() {
	for i, r := range gsmBasic {
		if i != 0x1B {
			gsmEncode[r] = byte(i)
		}
	}
	for b, r := range gsmExt {
		gsmExtEncode[r] = b
	}
}

// encodeRune appends the encoding of r in coding to dst; ok is false when
// the coding cannot carry r.
func encodeRune(dst []byte, r rune, coding uint8) ([]byte, bool) {
	switch coding {
	case CodingDefault:
		if b, ok := gsmEncode[r]; ok {
			return append(dst, b), true
		}
		if b, ok := gsmExtEncode[r]; ok {
			return append(dst, 0x1B, b), true
		}
	case CodingIA5:
		if r < 0x80 {
			return append(dst, byte(r)), true
		}
	case CodingLatin1:
		if r < 0x100 {
			return append(dst, byte(r)), true
		}
	case CodingUCS2:
		if r >= 0x10000 && r <= utf8.MaxRune {
			a, b := utf16.EncodeRune(r)
			return append(dst, byte(a>>8), byte(a), byte(b>>8), byte(b)), true
		}
		if r < 0x10000 && (r < 0xD800 || r > 0xDFFF) {
			return append(dst, byte(r>>8), byte(r)), true
		}
	}
	return dst, false
}

// EncodeText returns text in data_coding coding (5.2.19): the GSM 03.38
// default alphabet one septet per octet (unpacked, as SMPP carries it;
// the SMSC packs), IA5, Latin-1 or UCS-2 (UTF-16BE, with surrogate
// pairs). A character the coding cannot carry is an error naming it.
func EncodeText(text string, coding uint8) ([]byte, error) {
	out := make([]byte, 0, len(text))
	for i, r := range text {
		var ok bool
		if out, ok = encodeRune(out, r, coding); !ok {
			return nil, fmt.Errorf("smpp: character %q at offset %d cannot be sent in data_coding %d", r, i, coding)
		}
	}
	return out, nil
}

// DecodeText turns b in data_coding coding into text. Octets the coding does
// not define become U+FFFD; an unknown coding is an error.
func DecodeText(b []byte, coding uint8) (string, error) {
	switch coding {
	case CodingDefault:
		rs := make([]rune, 0, len(b))
		for i := 0; i < len(b); i++ {
			c := b[i] & 0x7F
			if c == 0x1B && i+1 < len(b) {
				if r, ok := gsmExt[b[i+1]&0x7F]; ok {
					rs = append(rs, r)
					i++
					continue
				}
				// An escape before a septet the extension table does not
				// define shows the basic character (23.038 6.2.1.1).
				continue
			}
			if c == 0x1B {
				rs = append(rs, ' ')
				continue
			}
			rs = append(rs, gsmBasic[c])
		}
		return string(rs), nil
	case CodingIA5, CodingBinary:
		rs := make([]rune, len(b))
		for i, c := range b {
			if c < 0x80 || coding == CodingBinary {
				rs[i] = rune(c)
			} else {
				rs[i] = utf8.RuneError
			}
		}
		return string(rs), nil
	case CodingLatin1:
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs), nil
	case CodingUCS2:
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		s := string(utf16.Decode(u))
		if len(b)%2 == 1 {
			s += string(utf8.RuneError)
		}
		return s, nil
	}
	return "", fmt.Errorf("smpp: data_coding %d is not supported", coding)
}

// PickCoding returns the default alphabet when it can carry text, and
// UCS-2 otherwise: the choice that keeps the most characters per SMS.
func PickCoding(text string) uint8 {
	for _, r := range text {
		if _, ok := encodeRune(nil, r, CodingDefault); !ok {
			return CodingUCS2
		}
	}
	return CodingDefault
}
