package conformance

import (
	"strings"
	"testing"
	"time"
)

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"steps: []\n", `s.yaml:1: missing required key "name"`},
		{"name: x\n", `s.yaml:1: missing required key "steps"`},
		{"name: x\nsteps: []\nbogus: 1\n", `s.yaml:3: unknown key "bogus" in scenario (allowed: name, scripts, config, peers, steps, fails_with)`},
		{"name: x\npeers: [smsc, mmsx]\nsteps:\n  - console: a\n", `s.yaml:2: peers: unknown peer "mmsx" (known: smsc, mmsc)`},
		{"name: x\npeers: []\nsteps:\n  - console: a\n", `s.yaml:2: "peers" is empty`},
		{"name: x\nsteps:\n  - deliver: {from: a@b}\n", `s.yaml:3: step 1 deliver: missing required key "to"`},
		{"name: x\nsteps:\n  - deliver: {from: a@b, to: c@d, msgid: x}\n", `s.yaml:3: unknown key "msgid" in step 1 deliver (allowed: from, to, body, headers, binding)`},
		{"name: x\nsteps:\n  - submit: {via: smpp, msgid: a, from: a@b, to: c@d}\n    expect: {stored: [x], hookz: []}\n",
			`s.yaml:4: unknown key "hookz" in step 1 expect (allowed: hooks, stored, absent, injected, bounces, log, output, error, queued, logged)`},
		{"name: x\nsteps:\n  - submit: {via: sms, msgid: a, from: a@b, to: c@d}\n", `s.yaml:3: step 1 submit: via must be smpp or mm7, not "sms"`},
		{"name: x\nsteps:\n  - submit: {via: smpp, from: a@b, to: c@d}\n", `s.yaml:3: step 1 submit: missing required key "msgid" (or "msgids")`},
		{"name: x\nsteps:\n  - receipt: {via: smpp, bucket: B, msgid: m, status: Expired}\n", `s.yaml:3: step 1 receipt: an SMPP receipt has "stat", not "status"`},
		{"name: x\nsteps:\n  - advance: 3 days\n", `s.yaml:3: advance: bad duration "3 days"`},
		{"name: x\nsteps:\n  - lua: x\n    console: y\n", `s.yaml:3: step 1 must have exactly one of submit, receipt, deliver, console, advance, lua, write, smtp, has [console lua]`},
		{"name: x\nsteps:\n  - expect: {}\n", `s.yaml:3: step 1 must have exactly one of`},
		{"name: [x\n", `s.yaml:1: did not find expected`},
		{"name: x\nsteps:\n  - console: a\n    expect: {hooks: [{name: h, returned: many}]}\n", `s.yaml:4: step 1 expect: returned must be a number`},
		{"name: x\nsteps:\n  - console: a\n    expect: {hooks: [{name: h, returned: \"3\"}]}\n", `s.yaml:4: step 1 expect: returned must be a number`},
		{"name: x\nsteps:\n  - submit: {via: smpp, msgid: a, msgids: [b], from: a@b, to: c@d}\n", `s.yaml:3: step 1 submit: give "msgid" or "msgids", not both`},
		{"name: x\nsteps:\n  - submit: {via: smpp, msgid: ~, from: a@b, to: c@d}\n", `s.yaml:3: "msgid" has no value`},
		{"name: x\nsteps:\n  - submit: {via: smpp, msgid: a, from: a@b, to: c@d, headers: {Subject: [a, b]}}\n", `s.yaml:3: "headers: Subject" must be a string`},
		{"name: x\nsteps:\n  - advance: -5m\n", `s.yaml:3: advance: "-5m" does not move the clock forward`},
		{"name: x\nsteps: []\n", `s.yaml:2: "steps" is empty`},
		{"name: x\nsteps:\n  - console: a\n---\nname: y\n", `s.yaml:4: one scenario per file`},
		{"", `s.yaml:1: empty scenario`},
		{"name: x\nsteps:\n  - smtp: {session: [{send: QUIT}], bogus: 1}\n", `s.yaml:3: unknown key "bogus" in step 1 smtp (allowed: client, listener, greeting, session)`},
		{"name: x\nsteps:\n  - smtp: {client: 1.2.3.4}\n", `s.yaml:3: step 1 smtp: missing required key "session"`},
		{"name: x\nsteps:\n  - smtp: {session: []}\n", `s.yaml:3: step 1 smtp: session must be a list of exchanges`},
		{"name: x\nsteps:\n  - smtp: {client: nowhere, session: [{send: QUIT}]}\n", `s.yaml:3: step 1 smtp: client: "nowhere" is not an address`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: QUIT, data: x}\n", `s.yaml:5: step 1 smtp session item 1 must have exactly one of send, data, closed, has [send data]`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: QUIT, reply: hello}\n", `s.yaml:5: "reply": "hello" does not start with a reply code`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: QUIT, reply: [\"221\", \"250\"]}\n", `s.yaml:5: step 1 smtp session item 1: 2 replies for 1 commands`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: [A, B], reply: [\"250\"]}\n        - {send: C}\n", `s.yaml:5: step 1 smtp session item 1: 1 replies for 2 commands: the item after must be "closed: true"`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: QUIT, disconnect: true}\n", `s.yaml:5: step 1 smtp session item 1: disconnect goes with data`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {closed: false}\n", `s.yaml:5: step 1 smtp session item 1: closed must be true`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {send: \"\"}\n", `s.yaml:5: step 1 smtp session item 1: command 1 must be one non-empty line`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {data: x, disconnect: true, reply: \"250\"}\n", `s.yaml:5: step 1 smtp session item 1: no reply comes after the connection closes`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {closed: true}\n        - {send: QUIT, reply: \"221\"}\n", `s.yaml:6: step 1 smtp session item 2: nothing can follow "closed: true": the connection is closed`},
		{"name: x\nsteps:\n  - smtp:\n      session:\n        - {data: x, disconnect: true}\n        - {closed: true}\n", `s.yaml:6: step 1 smtp session item 2: nothing can follow a disconnect mid-DATA: the connection is closed`},
		{"name: x\nsteps:\n  - smtp: {session: [{send: QUIT}]}\n    expect: {queued: [{from: a@b}]}\n", `s.yaml:4: step 1 expect queued entry: missing required key "to"`},
		{"name: x\nsteps:\n  - smtp: {session: [{send: QUIT}]}\n    expect: {queued: [{to: a@b, header: {}}]}\n", `s.yaml:4: unknown key "header" in step 1 expect queued entry (allowed: from, to, headers, body, context, binding)`},
		{"name: x\nsteps:\n  - smtp: {session: [{send: QUIT}]}\n    expect: {queued: [{to: a@b, context: [x]}]}\n", `s.yaml:4: "context" must be a mapping`},
	} {
		_, err := Parse("s.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error = %v, want %q", c.src, err, c.want)
		}
	}
}

func TestParseScenario(t *testing.T) {
	s, err := Parse("dir/s.yaml", []byte(`name: full
scripts: [a.lua, b.lua]
peers: [smsc]
config: |
  x = 1
steps:
  - submit: {via: mm7, msgids: [p1, p2], from: a@b, to: c@d, headers: {Subject: s}}
  - receipt: {via: mm7, bucket: MADR-MM7, msgid: p1, status: Expired}
    expect:
      hooks: [{name: mm7_handle_DR_negative, returned: 3, args: [trx, MADR-MM7, p1]}]
      injected: [{from: a@b, to: e@f}]
      bounces: []
  - advance: 1d12h
  - write: {file: a.lua, content: "return 1"}
  - deliver: {from: a@b, to: 1555@smpp.example.com, body: hi, headers: {Subject: s}, binding: b1}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "full" || len(s.Scripts) != 2 || s.Config != "x = 1\n" || len(s.Steps) != 5 || len(s.Peers) != 1 || s.Peers[0] != "smsc" {
		t.Fatalf("parsed %+v", s)
	}
	if got := s.Steps[0].Submit.MsgIDs; len(got) != 2 || got[1] != "p2" {
		t.Errorf("msgids = %v", got)
	}
	e := s.Steps[1].Expect
	if len(*e.Hooks) != 1 || *(*e.Hooks)[0].Returned != 3 || len(*e.Injected) != 1 || e.Bounces == nil || len(*e.Bounces) != 0 {
		t.Errorf("expect = %+v", e)
	}
	if s.Steps[2].Advance != 36*time.Hour {
		t.Errorf("advance = %s", s.Steps[2].Advance)
	}
	if s.Steps[3].Write.File != "a.lua" {
		t.Errorf("write = %+v", s.Steps[3].Write)
	}
	if d := s.Steps[4].Deliver; d == nil || d.To != "1555@smpp.example.com" || d.Body != "hi" || d.Headers["Subject"] != "s" || d.Binding != "b1" {
		t.Errorf("deliver = %+v", d)
	}
}

func TestParseSMTPStep(t *testing.T) {
	s, err := Parse("s.yaml", []byte(`name: smtp
steps:
  - smtp:
      client: 192.0.2.1
      listener: "[::1]:25"
      greeting: "220 "
      session:
        - {send: EHLO x, reply: 250}
        - send: [MAIL FROM:<a@b>, RCPT TO:<c@d>, DATA]
          reply: ["250", "550 5.1.1 No such address"]
        - {closed: true}
  - smtp:
      session:
        - {data: "Subject: x\n\n.hi\n", disconnect: true}
    expect:
      queued: [{from: "", to: c@d, headers: {Subject: x}, context: {k: v}, binding: b}]
      logged: [refused]
`))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Steps[0].SMTP
	if a.Client.String() != "192.0.2.1:49152" || a.Listener.String() != "[::1]:25" || a.Greeting != "220 " || len(a.Items) != 3 {
		t.Fatalf("smtp = %+v", a)
	}
	if it := a.Items[1]; len(it.Send) != 3 || len(it.Replies) != 2 || it.Replies[1] != "550 5.1.1 No such address" {
		t.Errorf("pipelined item = %+v", it)
	}
	if a.Items[0].Replies[0] != "250" || !a.Items[2].Closed {
		t.Errorf("items = %+v", a.Items)
	}
	b := s.Steps[1]
	if it := b.SMTP.Items[0]; it.Data == nil || *it.Data != "Subject: x\n\n.hi\n" || !it.Disconnect {
		t.Errorf("data item = %+v", it)
	}
	q := (*b.Expect.Queued)[0]
	if q.From == nil || *q.From != "" || q.To != "c@d" || q.Headers["Subject"] != "x" || q.Context["k"] != "v" || q.Binding != "b" || b.Expect.Logged[0] != "refused" {
		t.Errorf("queued = %+v", q)
	}
	if got := dataOf("Subject: x\n\n.hi\n", true); got != "Subject: x\r\n\r\n..hi\r\n.\r\n" {
		t.Errorf("dataOf = %q", got)
	}
}
