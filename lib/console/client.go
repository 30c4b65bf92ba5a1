package console

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Client is one session on a control socket.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
	// Timeout bounds one command, from sending it to the end of its
	// answer; zero waits as long as the daemon takes.
	Timeout time.Duration
}

// RemoteError is a command the daemon answered with an error.
type RemoteError struct{ Text string }

func (e *RemoteError) Error() string { return e.Text }

// Dial opens a session on the control socket at path.
func Dial(path string, timeout time.Duration) (*Client, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to the control socket %s: %w (is msyshost run going, with this socket?)", path, err)
	}
	return &Client{conn: conn, r: bufio.NewReader(conn)}, nil
}

// Exec sends one command line and returns the daemon's answer; a command
// that failed comes back as a *RemoteError.
func (c *Client) Exec(line string) (string, error) {
	if strings.ContainsAny(line, "\r\n") {
		return "", fmt.Errorf("a command is one line")
	}
	if c.Timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(c.Timeout))
		defer c.conn.SetDeadline(time.Time{})
	}
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		return "", fmt.Errorf("sending to the daemon: %w", err)
	}
	head, err := c.r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the daemon's answer: %w", err)
	}
	kind, size, ok := strings.Cut(strings.TrimSuffix(head, "\n"), " ")
	n, err := strconv.Atoi(size)
	if !ok || err != nil || n < 0 || (kind != "OK" && kind != "ERR") {
		return "", fmt.Errorf("the daemon answered %q, not a console frame", head)
	}
	if n > MaxOutput {
		return "", fmt.Errorf("the daemon's answer of %d bytes is over the console's limit of %d", n, MaxOutput)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return "", fmt.Errorf("reading the daemon's answer: %w", err)
	}
	if kind == "ERR" {
		return "", &RemoteError{Text: string(body)}
	}
	return string(body), nil
}

// Close ends the session.
func (c *Client) Close() error { return c.conn.Close() }
