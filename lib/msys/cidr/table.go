package cidr

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Table maps networks to values by longest prefix; an excluded network
// ("!" in rbldnsd) matches as "not listed". It is read-only once built.
type Table struct {
	v4, v6 []map[netip.Prefix]entry // by prefix length
}

type entry struct {
	value    string
	excluded bool
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{v4: make([]map[netip.Prefix]entry, 33), v6: make([]map[netip.Prefix]entry, 129)}
}

// Add sets the value of a network.
func (t *Table) Add(p netip.Prefix, value string, excluded bool) {
	p = p.Masked()
	byLen := t.v6
	if p.Addr().Is4() {
		byLen = t.v4
	}
	if byLen[p.Bits()] == nil {
		byLen[p.Bits()] = map[netip.Prefix]entry{}
	}
	byLen[p.Bits()][p] = entry{value: value, excluded: excluded}
}

// Lookup returns the value of the longest network holding ip.
func (t *Table) Lookup(ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	byLen := t.v6
	if ip.Is4() {
		byLen = t.v4
	}
	for bits := len(byLen) - 1; bits >= 0; bits-- {
		if byLen[bits] == nil {
			continue
		}
		p, _ := ip.Prefix(bits)
		if e, ok := byLen[bits][p]; ok {
			return e.value, !e.excluded
		}
	}
	return "", false
}

// ParseRBLDNSD reads an rbldnsd ip4set/ip6tset file: one network per line
// ("1.2.3.4", "1.2.3", "1.2.3.0/24", "1.2.3.4-1.2.3.20", "1.2.3.4-20";
// IPv6 with a prefix), "!" before a network to exclude it, then an
// optional ":A:TXT" value (IPv6 lines put a space before that colon). A
// line ":A:TXT" sets the value of the lines without one; "#" and ";" start
// comments; "$" directives are skipped. value selects the A or the TXT
// part ("a" or "txt").
func ParseRBLDNSD(r io.Reader, value string) (*Table, error) {
	t := NewTable()
	defA, defTXT := "127.0.0.2", ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '$' {
			continue
		}
		if line[0] == ':' {
			defA, defTXT = splitValue(line[1:], defA)
			continue
		}
		excluded := line[0] == '!'
		line = strings.TrimPrefix(line, "!")
		netPart, rest := splitEntry(line)
		prefixes, err := parseRange(netPart)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		a, txt := defA, defTXT
		if rest != "" {
			a, txt = splitValue(rest, defA)
		}
		v := a
		if value == "txt" {
			v = txt
		}
		for _, p := range prefixes {
			t.Add(p, v, excluded)
		}
	}
	return t, sc.Err()
}

// splitEntry separates the network from its value: the value starts at
// " :" or at whitespace; for an IPv4 network, at its first ":".
func splitEntry(line string) (network, rest string) {
	if i := strings.Index(line, " :"); i >= 0 {
		return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+2:])
	}
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		return line[:i], strings.TrimPrefix(strings.TrimSpace(line[i:]), ":")
	}
	if !strings.Contains(line, "::") && strings.Count(line, ":") > 0 && strings.Contains(line, ".") {
		i := strings.IndexByte(line, ':')
		return line[:i], line[i+1:]
	}
	return line, ""
}

// splitValue reads "A:TXT", "A" or ":TXT" (A kept from defA when empty or
// not an address).
func splitValue(v, defA string) (a, txt string) {
	first, second, found := strings.Cut(v, ":")
	if ip, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil && ip.Is4() {
		return ip.String(), second
	}
	if found && strings.TrimSpace(first) == "" {
		return defA, second
	}
	return defA, v
}

// parseRange reads one network of an rbldnsd line.
func parseRange(s string) ([]netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return []netip.Prefix{p}, nil
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}, nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		from, err := netip.ParseAddr(lo)
		if err != nil || !from.Is4() {
			return nil, fmt.Errorf("bad range %q (ranges are IPv4 only)", s)
		}
		to, err := netip.ParseAddr(hi)
		if err != nil {
			// "1.2.3.4-20": the last octet only.
			b := from.As4()
			var last int
			if _, e := fmt.Sscanf(hi, "%d", &last); e != nil || last < 0 || last > 255 {
				return nil, fmt.Errorf("bad range %q", s)
			}
			b[3] = byte(last)
			to = netip.AddrFrom4(b)
		}
		if to.Less(from) {
			return nil, fmt.Errorf("bad range %q: end before start", s)
		}
		return rangePrefixes(from, to), nil
	}
	// "1.2.3" and "10": the network of the octets given.
	parts := strings.Split(s, ".")
	if len(parts) < 4 {
		var b [4]byte
		for i, p := range parts {
			var n int
			if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 0 || n > 255 || fmt.Sprint(n) != p {
				return nil, fmt.Errorf("bad network %q", s)
			}
			b[i] = byte(n)
		}
		return []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4(b), 8*len(parts))}, nil
	}
	return nil, fmt.Errorf("bad network %q", s)
}

// rangePrefixes covers from..to (IPv4) with the fewest prefixes.
func rangePrefixes(from, to netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	lo, hi := u32(from), u32(to)
	for lo <= hi {
		bits := 32
		for bits > 0 {
			size := uint64(1) << (32 - (bits - 1))
			if uint64(lo)%size != 0 || uint64(lo)+size-1 > uint64(hi) {
				break
			}
			bits--
		}
		b := [4]byte{byte(lo >> 24), byte(lo >> 16), byte(lo >> 8), byte(lo)}
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(b), bits))
		next := uint64(lo) + uint64(1)<<(32-bits)
		if next > 0xffffffff {
			break
		}
		lo = uint32(next)
	}
	return out
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
