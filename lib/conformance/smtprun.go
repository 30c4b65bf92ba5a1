package conformance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/smtpserver"

	// SMTP in asks the scripts' validate_* hooks in scenarios as in the
	// daemon.
	_ "msyshost/lib/reception"
)

// replyWait bounds the wait for one reply; a policy may hold a session
// (VALIDATE_AGAIN, vctx:tarpit) but not this long.
const replyWait = 30 * time.Second

func (r *run) smtpServer() (*smtpserver.Server, error) {
	for _, c := range r.p.Components() {
		if s, ok := c.(*smtpserver.Server); ok {
			return s, nil
		}
	}
	return nil, errors.New("no SMTP in component in this process")
}

// smtp plays a session and returns how the replies differed from the
// expected ones; the session ends (the server closed its side, so
// validate_dealloc ran) before it returns.
func (r *run) smtp(ctx context.Context, s *SMTPSession) ([]string, error) {
	srv, err := r.smtpServer()
	if err != nil {
		return nil, err
	}
	nc, err := srv.Dial(ctx, s.Client, s.Listener)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	c := &smtpClient{nc: nc, rd: bufio.NewReader(nc)}
	defer c.finish()
	var fails []string
	check := func(line int, what, want string, got string, err error) bool {
		at := what
		if line > 0 {
			at = fmt.Sprintf("line %d: %s", line, what)
		}
		switch {
		case err != nil:
			fails = append(fails, fmt.Sprintf("%s: no reply (%v), want %q", at, err, want))
			return false
		case !replyMatches(got, want):
			// The session went another way: later replies would only
			// say so again.
			fails = append(fails, fmt.Sprintf("%s: reply %q, want %q", at, got, want))
			return false
		}
		return true
	}
	got, err := c.reply()
	if !check(0, "greeting", s.Greeting, got, err) {
		return fails, nil
	}
	for _, it := range s.Items {
		switch {
		case it.Closed:
			if got, err := c.reply(); err == nil {
				fails = append(fails, fmt.Sprintf("line %d: the server sent %q, want the connection closed", it.Line, got))
			} else if !errors.Is(err, io.EOF) {
				fails = append(fails, fmt.Sprintf("line %d: want the connection closed: %v", it.Line, err))
			}
			return fails, nil
		case it.Data != nil:
			if _, err := io.WriteString(nc, dataOf(*it.Data, !it.Disconnect)); err != nil {
				fails = append(fails, fmt.Sprintf("line %d: sending the message: %v", it.Line, err))
				return fails, nil
			}
			if it.Disconnect {
				return fails, nil
			}
			got, err := c.reply()
			if !check(it.Line, "message", want(it.Replies, 0), got, err) {
				return fails, nil
			}
		default:
			if _, err := io.WriteString(nc, strings.Join(it.Send, "\r\n")+"\r\n"); err != nil {
				fails = append(fails, fmt.Sprintf("line %d: sending %q: %v", it.Line, it.Send[0], err))
				return fails, nil
			}
			for i, cmd := range it.Send {
				if len(it.Replies) > 0 && i >= len(it.Replies) {
					break // the server closes first; a Closed item follows
				}
				got, err := c.reply()
				if !check(it.Line, cmd, want(it.Replies, i), got, err) {
					return fails, nil
				}
			}
		}
	}
	return fails, nil
}

func want(replies []string, i int) string {
	if i < len(replies) {
		return replies[i]
	}
	return ""
}

// dataOf is a message as DATA sends it: CRLF line ends, dot-stuffed
// (RFC 5321 4.5.2), with the terminating "." when complete.
func dataOf(text string, complete bool) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.HasPrefix(l, ".") {
			b.WriteByte('.')
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	if complete {
		b.WriteString(".\r\n")
	}
	return b.String()
}

// smtpClient reads replies off an in-process connection.
type smtpClient struct {
	nc net.Conn
	rd *bufio.Reader
}

// reply reads one reply, its lines joined by "\n".
func (c *smtpClient) reply() (string, error) {
	c.nc.SetReadDeadline(time.Now().Add(replyWait))
	var lines []string
	for {
		line, err := c.rd.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" && len(lines) == 0 {
				return "", io.EOF
			}
			return strings.Join(lines, "\n"), fmt.Errorf("reading a reply: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n"), nil
		}
	}
}

// finish ends the session from the client's side and waits until the
// server has ended its own, so what happens at the end of a session
// (validate_dealloc) belongs to the step.
func (c *smtpClient) finish() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(replyWait))
	io.Copy(io.Discard, c.rd)
	if e, ok := c.nc.(interface{ Ended() <-chan struct{} }); ok {
		select {
		case <-e.Ended():
		case <-time.After(replyWait):
		}
	}
}

// checkQueued compares what SMTP in queued in the step with the
// expectation, in order.
func checkQueued(want []QueuedExpect, got []*message.Message) []string {
	describe := func(m *message.Message) string { return m.MailFrom + " -> " + m.RcptTo }
	var gotDesc []string
	for _, m := range got {
		gotDesc = append(gotDesc, describe(m))
	}
	if len(want) != len(got) {
		return []string{fmt.Sprintf("queued %d messages %s, want %d", len(got), show(gotDesc), len(want))}
	}
	var fails []string
	for i, w := range want {
		m := got[i]
		bad := func(format string, args ...any) {
			fails = append(fails, fmt.Sprintf("queued[%d] (%s): ", i, describe(m))+fmt.Sprintf(format, args...))
		}
		if w.From != nil && m.MailFrom != *w.From {
			bad("from %q, want %q", m.MailFrom, *w.From)
		}
		if m.RcptTo != w.To {
			bad("to %q, want %q", m.RcptTo, w.To)
		}
		if w.Binding != "" && m.Binding != w.Binding {
			bad("binding %q, want %q", m.Binding, w.Binding)
		}
		if w.Body != "" && !strings.Contains(string(m.Raw()), w.Body) {
			bad("the message does not contain %q:\n%s", w.Body, m.Raw())
		}
		for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
			var v string
			if vs := m.HeaderValues(k); len(vs) > 0 {
				v = vs[0]
			} else {
				v = "(no such header)"
			}
			if v != w.Headers[k] {
				bad("header %s: %q, want %q", k, v, w.Headers[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(w.Context)) {
			if v, ok := m.Context[k]; !ok || v != w.Context[k] {
				bad("context %s: %q, want %q", k, v, w.Context[k])
			}
		}
	}
	return fails
}

// logTap keeps the host's log lines for `logged` expectations and passes
// every record on.
type logTap struct {
	next  slog.Handler
	attrs []slog.Attr
	r     *run
}

func (t *logTap) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || t.next.Enabled(ctx, l)
}

func (t *logTap) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelInfo {
		var b strings.Builder
		b.WriteString(rec.Level.String() + " " + rec.Message)
		write := func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		}
		for _, a := range t.attrs {
			write(a)
		}
		rec.Attrs(write)
		t.r.mu.Lock()
		t.r.logged = append(t.r.logged, b.String())
		t.r.mu.Unlock()
	}
	if t.next.Enabled(ctx, rec.Level) {
		return t.next.Handle(ctx, rec)
	}
	return nil
}

func (t *logTap) WithAttrs(as []slog.Attr) slog.Handler {
	return &logTap{next: t.next.WithAttrs(as), attrs: append(append([]slog.Attr{}, t.attrs...), as...), r: t.r}
}

func (t *logTap) WithGroup(name string) slog.Handler {
	return &logTap{next: t.next.WithGroup(name), attrs: t.attrs, r: t.r}
}

// replyMatches reports whether a reply starts with the expected text and
// the text ends at a word's end: "550 5.1.1" matches "550 5.1.1 No such
// user" but not "550 5.1.10 ...", "250" not "2500".
func replyMatches(got, want string) bool {
	if !strings.HasPrefix(got, want) {
		return false
	}
	if len(got) == len(want) || want == "" {
		return true
	}
	next, last := got[len(want)], want[len(want)-1]
	return !wordByte(next) || !wordByte(last)
}

func wordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.'
}
