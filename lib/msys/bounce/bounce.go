// Package bounce is the Lua module msys.bounce: bounce classification of
// SMTP responses and of bounce, DSN and auto-reply messages, into
// Momentum's bounce classification codes.
package bounce

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.bounce", Open: open, Notes: map[string]string{
		"msys.bounce.classify_smtp_response": "msyshost's rules over RFC 3463 codes and common wording; domain overrides (bounce_classifier_override) are not read",
		"msys.bounce.classify":               "msyshost's rules; code_string is the class's name",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"classify":               luahost.Func("classify", classifyMsg),
		"classify_smtp_response": luahost.Func("classify_smtp_response", classifyResponse),
	})
	return t
}

func push(a luahost.Args, c Class) int {
	return a.Push(lua.LNumber(c.Code), lua.LString(c.Name), lua.LString(c.Description))
}

// msys.bounce.classify_smtp_response(text[, domain]) → code, code_string,
// description.
func classifyResponse(a luahost.Args) int {
	text := a.String(1)
	a.OptString(2, "")
	return push(a, SMTPResponse(text))
}

// msys.bounce.classify(msg) → code, code_string, description, original
// recipient: a delivery status notification (RFC 3464) by its Status and
// Diagnostic-Code; an auto-reply, subscribe, unsubscribe or
// challenge-response message by its headers and subject; any other
// bounce by the SMTP reply quoted in its text.
func classifyMsg(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	c, rcpt := Message(m)
	n := push(a, c)
	if rcpt == "" {
		return n + a.Push(lua.LNil)
	}
	return n + a.Push(lua.LString(rcpt))
}

// Message classifies a message that came back, and names its original
// recipient when it says.
func Message(m *message.Message) (Class, string) {
	h := &m.Root().Header
	subject := strings.ToLower(h.Get("Subject"))
	auto := strings.ToLower(h.Get("Auto-Submitted"))
	switch {
	case strings.HasPrefix(auto, "auto-replied") || h.Has("X-Autoreply") || h.Has("X-Autorespond") ||
		strings.Contains(subject, "out of office") || strings.Contains(subject, "auto-reply") ||
		strings.Contains(subject, "autoreply") || strings.Contains(subject, "vacation"):
		return AutoReply, ""
	case strings.HasPrefix(strings.TrimSpace(subject), "unsubscribe"):
		return Unsubscribe, ""
	case strings.HasPrefix(strings.TrimSpace(subject), "subscribe"):
		return Subscribe, ""
	case strings.Contains(subject, "verify") && (strings.Contains(subject, "sender") || strings.Contains(subject, "human")) ||
		strings.Contains(subject, "challenge"):
		return ChallengeResp, ""
	}
	var status, diag, rcpt string
	for _, p := range m.Root().Walk() {
		if p.MediaType() != "message/delivery-status" {
			continue
		}
		for _, line := range strings.Split(strings.ReplaceAll(string(p.BodyBytes()), "\r\n", "\n"), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "status":
				status = v
			case "diagnostic-code":
				diag = v
			case "original-recipient", "final-recipient":
				if rcpt == "" || strings.EqualFold(strings.TrimSpace(k), "original-recipient") {
					_, addr, _ := strings.Cut(v, ";")
					rcpt = strings.TrimSpace(addr)
				}
			}
		}
	}
	if status != "" || diag != "" {
		if c := SMTPResponse(diag + " " + status); c != Undetermined {
			return c, rcpt
		}
		return Generic, rcpt
	}
	var text strings.Builder
	for _, s := range m.Texts() {
		text.WriteString(s)
		text.WriteByte('\n')
	}
	if c := SMTPResponse(text.String()); c != Undetermined {
		return c, rcpt
	}
	if rcpt == "" && strings.Contains(subject, "undeliver") {
		return NoRcpt, ""
	}
	return Undetermined, rcpt
}
