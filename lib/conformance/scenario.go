// Package conformance runs QA scenarios: YAML files that drive the retry
// flow (submissions, receipts), the console, the clock and Lua chunks
// against a fresh host, and check hook calls, stored and deleted keys,
// injections, bounces, printed lines and console output after each step.
package conformance

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	File    string
	Name    string
	Scripts []string // resolved paths, in load order
	Config  string
	// Peers names the network peers the scenario talks to over real
	// sockets (KnownPeers): the simulators its config describes, started
	// on free loopback ports, or peers outside the process the runner was
	// given instead (Options.Peers). Without peers no network is used.
	Peers []string
	Steps []Step
	// FailsWith, when set, inverts the verdict: the scenario passes only
	// if a step fails with a message containing it. The runner's own
	// checks are proved this way: a check that stopped failing would
	// leave its scenario failing.
	FailsWith string
}

// Step is one event and what must hold after it.
type Step struct {
	Line    int
	Kind    string // submit, receipt, deliver, console, advance, lua, write, smtp
	Submit  *Submit
	Deliver *Deliver
	Receipt *Receipt
	Console string
	Advance time.Duration
	Lua     string
	Write   *Write
	SMTP    *SMTPSession
	Expect  *Expect
}

// Submit is a message the SMSC or MMSC accepted.
type Submit struct {
	Via       string
	Shortcode string
	MsgIDs    []string // msgid, or msgids for a segmented SMS
	From, To  string
	Body      string
	Headers   map[string]string
	Binding   string
}

// Deliver is a message handed to the channel its domain's delivery_method
// names, as the spool would: over the network to a peer, whose receipts
// come back on their own.
type Deliver struct {
	From, To string
	Body     string
	Headers  map[string]string
	Binding  string
}

// KnownPeers are the peers a scenario may name, each the simulator of a
// config scope: smsc (SMSC_Simulator, for the SMPP channel) and mmsc
// (MMSC_Simulator, for the MM7 channel; the process's MM7 receiver takes
// its reports).
var KnownPeers = []string{"smsc", "mmsc"}

// ParsePeers reads NAME=ADDR pairs (`msyshost test --peer`).
func ParsePeers(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, pr := range pairs {
		name, addr, ok := strings.Cut(pr, "=")
		if !ok || addr == "" {
			return nil, fmt.Errorf("--peer %q: want NAME=ADDR (e.g. smsc=127.0.0.1:2775)", pr)
		}
		if !slices.Contains(KnownPeers, name) {
			return nil, fmt.Errorf("--peer %q: unknown peer %q (known: %s)", pr, name, strings.Join(KnownPeers, ", "))
		}
		out[name] = addr
	}
	return out, nil
}

// Receipt is a delivery receipt or report.
type Receipt struct {
	Via    string
	Bucket string
	MsgID  string
	Status string // stat (smpp) or status (mm7)
	Err    string
}

// Write replaces a script file; the host reloads.
type Write struct {
	File    string
	Content string
}

// Expect holds the assertions of a step; nil fields are not checked.
type Expect struct {
	Hooks    *[]HookExpect
	Stored   []string
	Absent   []string
	Injected *[]Envelope
	Bounces  *[]string
	Log      []string
	Output   []string
	Error    *string
	// Queued are the messages SMTP in queued, in order, exactly these.
	Queued *[]QueuedExpect
	// Logged are substrings of the host's log lines (not script prints).
	Logged []string
}

// HookExpect is one expected hook call.
type HookExpect struct {
	Name     string
	Module   string
	Returned *float64
	Args     []string
}

// Envelope is an expected injection.
type Envelope struct{ From, To string }

// ParseError names the file, line and key of a malformed scenario.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse validates a scenario. Unknown keys are errors.
func Parse(file string, src []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &ParseError{File: file, Line: 1, Msg: "empty scenario"}
		}
		line, msg := yamlError(err)
		return nil, &ParseError{File: file, Line: line, Msg: msg}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, &ParseError{File: file, Line: extra.Line, Msg: "one scenario per file: a second YAML document follows"}
	}
	p := &parser{file: file}
	s := &Scenario{File: file}
	root := doc.Content[0]
	fields, err := p.mapping(root, "scenario", "name", "scripts", "config", "peers", "steps", "fails_with")
	if err != nil {
		return nil, err
	}
	if n, ok := fields["name"]; ok {
		if s.Name, err = p.str(n, "name"); err != nil {
			return nil, err
		}
	}
	if s.Name == "" {
		return nil, &ParseError{File: file, Line: root.Line, Msg: `missing required key "name"`}
	}
	if n, ok := fields["scripts"]; ok {
		if s.Scripts, err = p.strs(n, "scripts"); err != nil {
			return nil, err
		}
	}
	if n, ok := fields["config"]; ok {
		if s.Config, err = p.str(n, "config"); err != nil {
			return nil, err
		}
	}
	if n, ok := fields["peers"]; ok {
		if s.Peers, err = p.strs(n, "peers"); err != nil {
			return nil, err
		}
		if len(s.Peers) == 0 {
			return nil, p.errf(n, `"peers" is empty: name the peers (%s) or leave the key out`, strings.Join(KnownPeers, ", "))
		}
		for i, name := range s.Peers {
			if !slices.Contains(KnownPeers, name) {
				return nil, p.errf(n.Content[i], "peers: unknown peer %q (known: %s)", name, strings.Join(KnownPeers, ", "))
			}
		}
	}
	if n, ok := fields["fails_with"]; ok {
		if s.FailsWith, err = p.str(n, "fails_with"); err != nil {
			return nil, err
		}
		if s.FailsWith == "" {
			return nil, p.errf(n, `"fails_with" is empty: give the failure text the scenario must produce`)
		}
	}
	steps, ok := fields["steps"]
	if !ok {
		return nil, &ParseError{File: file, Line: root.Line, Msg: `missing required key "steps"`}
	}
	if steps.Kind != yaml.SequenceNode {
		return nil, p.errf(steps, `"steps" must be a list`)
	}
	if len(steps.Content) == 0 {
		return nil, p.errf(steps, `"steps" is empty: a scenario needs at least one step`)
	}
	for i, n := range steps.Content {
		st, err := p.step(n, i+1)
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, st)
	}
	return s, nil
}

type parser struct{ file string }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	return &ParseError{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// mapping checks n is a mapping with only allowed keys and returns them.
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s must be a mapping", what)
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, a := range allowed {
			if k.Value == a {
				ok = true
			}
		}
		if !ok {
			return nil, p.errf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errf(k, "key %q given twice in %s", k.Value, what)
		}
		out[k.Value] = v
	}
	return out, nil
}

func (p *parser) str(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errf(n, "%q must be a string", key)
	}
	if n.Tag == "!!null" {
		return "", p.errf(n, "%q has no value", key)
	}
	return n.Value, nil
}

func (p *parser) strs(n *yaml.Node, key string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "%q must be a list", key)
	}
	out := []string{}
	for _, c := range n.Content {
		s, err := p.str(c, key)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

var stepKinds = []string{"submit", "receipt", "deliver", "console", "advance", "lua", "write", "smtp"}

func (p *parser) step(n *yaml.Node, num int) (Step, error) {
	what := fmt.Sprintf("step %d", num)
	fields, err := p.mapping(n, what, append(append([]string{}, stepKinds...), "expect")...)
	if err != nil {
		return Step{}, err
	}
	st := Step{Line: n.Line}
	var kinds []string
	for k := range fields {
		if k != "expect" {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	if len(kinds) != 1 {
		return Step{}, p.errf(n, "%s must have exactly one of %s, has %v", what, strings.Join(stepKinds, ", "), kinds)
	}
	st.Kind = kinds[0]
	v := fields[st.Kind]
	switch st.Kind {
	case "submit":
		st.Submit, err = p.submit(v, what)
	case "receipt":
		st.Receipt, err = p.receipt(v, what)
	case "deliver":
		st.Deliver, err = p.deliver(v, what)
	case "smtp":
		st.SMTP, err = p.smtp(v, what)
	case "console":
		st.Console, err = p.str(v, "console")
	case "lua":
		st.Lua, err = p.str(v, "lua")
	case "advance":
		var s string
		if s, err = p.str(v, "advance"); err == nil {
			if st.Advance, err = ParseDuration(s); err != nil {
				err = p.errf(v, "advance: %v", err)
			} else if st.Advance <= 0 {
				err = p.errf(v, "advance: %q does not move the clock forward", s)
			}
		}
	case "write":
		var f map[string]*yaml.Node
		if f, err = p.mapping(v, what+" write", "file", "content"); err == nil {
			st.Write = &Write{}
			if st.Write.File, err = p.need(f, v, "file", what+" write"); err == nil {
				st.Write.Content, err = p.need(f, v, "content", what+" write")
			}
		}
	}
	if err != nil {
		return Step{}, err
	}
	if e, ok := fields["expect"]; ok {
		if st.Expect, err = p.expect(e, what); err != nil {
			return Step{}, err
		}
	}
	if st.Kind == "smtp" {
		// An smtp step queues nothing unless it says what: a message
		// queued that no expectation names is a failure, not unseen.
		if st.Expect == nil {
			st.Expect = &Expect{}
		}
		if st.Expect.Queued == nil {
			st.Expect.Queued = &[]QueuedExpect{}
		}
	}
	return st, nil
}

func (p *parser) need(f map[string]*yaml.Node, parent *yaml.Node, key, what string) (string, error) {
	n, ok := f[key]
	if !ok {
		return "", p.errf(parent, "%s: missing required key %q", what, key)
	}
	return p.str(n, key)
}

func (p *parser) opt(f map[string]*yaml.Node, key string) (string, error) {
	if n, ok := f[key]; ok {
		return p.str(n, key)
	}
	return "", nil
}

func (p *parser) submit(n *yaml.Node, what string) (*Submit, error) {
	what += " submit"
	f, err := p.mapping(n, what, "via", "shortcode", "msgid", "msgids", "from", "to", "body", "headers", "binding")
	if err != nil {
		return nil, err
	}
	s := &Submit{Headers: map[string]string{}}
	if s.Via, err = p.need(f, n, "via", what); err != nil {
		return nil, err
	}
	if s.Via != "smpp" && s.Via != "mm7" {
		return nil, p.errf(f["via"], "%s: via must be smpp or mm7, not %q", what, s.Via)
	}
	if _, both := f["msgids"]; both && f["msgid"] != nil {
		return nil, p.errf(f["msgids"], "%s: give \"msgid\" or \"msgids\", not both", what)
	}
	if id, ok := f["msgid"]; ok {
		v, err := p.str(id, "msgid")
		if err != nil {
			return nil, err
		}
		s.MsgIDs = []string{v}
	}
	if ids, ok := f["msgids"]; ok {
		if s.MsgIDs, err = p.strs(ids, "msgids"); err != nil {
			return nil, err
		}
	}
	if len(s.MsgIDs) == 0 {
		return nil, p.errf(n, "%s: missing required key \"msgid\" (or \"msgids\")", what)
	}
	for key, dst := range map[string]*string{"shortcode": &s.Shortcode, "body": &s.Body, "binding": &s.Binding} {
		if *dst, err = p.opt(f, key); err != nil {
			return nil, err
		}
	}
	if s.From, err = p.need(f, n, "from", what); err != nil {
		return nil, err
	}
	if s.To, err = p.need(f, n, "to", what); err != nil {
		return nil, err
	}
	if s.Headers, err = p.headers(f, what); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) deliver(n *yaml.Node, what string) (*Deliver, error) {
	what += " deliver"
	f, err := p.mapping(n, what, "from", "to", "body", "headers", "binding")
	if err != nil {
		return nil, err
	}
	d := &Deliver{}
	if d.From, err = p.need(f, n, "from", what); err != nil {
		return nil, err
	}
	if d.To, err = p.need(f, n, "to", what); err != nil {
		return nil, err
	}
	if d.Body, err = p.opt(f, "body"); err != nil {
		return nil, err
	}
	if d.Binding, err = p.opt(f, "binding"); err != nil {
		return nil, err
	}
	if d.Headers, err = p.headers(f, what); err != nil {
		return nil, err
	}
	return d, nil
}

func (p *parser) headers(f map[string]*yaml.Node, what string) (map[string]string, error) {
	out := map[string]string{}
	h, ok := f["headers"]
	if !ok {
		return out, nil
	}
	if h.Kind != yaml.MappingNode {
		return nil, p.errf(h, "%s: headers must be a mapping", what)
	}
	for i := 0; i+1 < len(h.Content); i += 2 {
		v, err := p.str(h.Content[i+1], "headers: "+h.Content[i].Value)
		if err != nil {
			return nil, err
		}
		out[h.Content[i].Value] = v
	}
	return out, nil
}

func (p *parser) receipt(n *yaml.Node, what string) (*Receipt, error) {
	what += " receipt"
	f, err := p.mapping(n, what, "via", "bucket", "msgid", "stat", "status", "err")
	if err != nil {
		return nil, err
	}
	r := &Receipt{}
	if r.Via, err = p.need(f, n, "via", what); err != nil {
		return nil, err
	}
	if r.Bucket, err = p.need(f, n, "bucket", what); err != nil {
		return nil, err
	}
	if r.MsgID, err = p.need(f, n, "msgid", what); err != nil {
		return nil, err
	}
	if r.Err, err = p.opt(f, "err"); err != nil {
		return nil, err
	}
	switch r.Via {
	case "smpp":
		if _, bad := f["status"]; bad {
			return nil, p.errf(f["status"], "%s: an SMPP receipt has \"stat\", not \"status\"", what)
		}
		r.Status, err = p.need(f, n, "stat", what)
	case "mm7":
		if _, bad := f["stat"]; bad {
			return nil, p.errf(f["stat"], "%s: an MM7 report has \"status\", not \"stat\"", what)
		}
		r.Status, err = p.need(f, n, "status", what)
	default:
		return nil, p.errf(f["via"], "%s: via must be smpp or mm7, not %q", what, r.Via)
	}
	return r, err
}

func (p *parser) expect(n *yaml.Node, what string) (*Expect, error) {
	what += " expect"
	f, err := p.mapping(n, what, "hooks", "stored", "absent", "injected", "bounces", "log", "output", "error", "queued", "logged")
	if err != nil {
		return nil, err
	}
	e := &Expect{}
	if v, ok := f["queued"]; ok {
		if e.Queued, err = p.queued(v, what); err != nil {
			return nil, err
		}
	}
	for key, dst := range map[string]*[]string{"stored": &e.Stored, "absent": &e.Absent, "log": &e.Log, "output": &e.Output, "logged": &e.Logged} {
		if v, ok := f[key]; ok {
			if *dst, err = p.strs(v, key); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := f["bounces"]; ok {
		b, err := p.strs(v, "bounces")
		if err != nil {
			return nil, err
		}
		e.Bounces = &b
	}
	if v, ok := f["error"]; ok {
		s, err := p.str(v, "error")
		if err != nil {
			return nil, err
		}
		e.Error = &s
	}
	if v, ok := f["injected"]; ok {
		if v.Kind != yaml.SequenceNode {
			return nil, p.errf(v, "%s: injected must be a list", what)
		}
		list := []Envelope{}
		for _, c := range v.Content {
			m, err := p.mapping(c, what+" injected entry", "from", "to")
			if err != nil {
				return nil, err
			}
			var env Envelope
			if env.From, err = p.opt(m, "from"); err != nil {
				return nil, err
			}
			if env.To, err = p.opt(m, "to"); err != nil {
				return nil, err
			}
			list = append(list, env)
		}
		e.Injected = &list
	}
	if v, ok := f["hooks"]; ok {
		if v.Kind != yaml.SequenceNode {
			return nil, p.errf(v, "%s: hooks must be a list", what)
		}
		list := []HookExpect{}
		for _, c := range v.Content {
			m, err := p.mapping(c, what+" hooks entry", "name", "module", "returned", "args")
			if err != nil {
				return nil, err
			}
			var h HookExpect
			if h.Name, err = p.need(m, c, "name", what+" hooks entry"); err != nil {
				return nil, err
			}
			if h.Module, err = p.opt(m, "module"); err != nil {
				return nil, err
			}
			if r, ok := m["returned"]; ok {
				f, err := strconv.ParseFloat(r.Value, 64)
				if err != nil || r.Kind != yaml.ScalarNode || (r.Tag != "!!int" && r.Tag != "!!float") {
					return nil, p.errf(r, "%s: returned must be a number", what)
				}
				h.Returned = &f
			}
			if a, ok := m["args"]; ok {
				if h.Args, err = p.strs(a, "args"); err != nil {
					return nil, err
				}
			}
			list = append(list, h)
		}
		e.Hooks = &list
	}
	return e, nil
}

// ParseDuration accepts Go durations plus days: "15d", "36h", "90s", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use 15d, 36h, 90m, 30s)", s)
	}
	return total + d, nil
}

// yamlError splits a yaml.v3 syntax error into its line and message.
func yamlError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		return line, strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return 1, msg
}
