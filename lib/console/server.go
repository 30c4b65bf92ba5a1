package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The control socket's protocol. A client sends one command per line
// (LF-terminated, CR before it ignored, at most MaxLine bytes). For each
// line the server answers a header line, `OK <n>` or `ERR <n>`, then
// exactly n bytes of output or error text. `quit` (or `exit`) is answered
// `OK 0` and closes the session. Framing by length keeps any output (a
// stored message body included) unambiguous.
const (
	MaxLine = 64 << 10
	// MaxOutput bounds one answer the client accepts.
	MaxOutput = 64 << 20
)

// Server serves a Console on Unix sockets. Each session has its own
// goroutine, its writes a deadline and its idle time a limit, so a slow
// or hung client never stalls another; the number of sessions is bounded.
type Server struct {
	Console *Console
	Log     *slog.Logger
	// MaxSessions bounds concurrent sessions; 0 means 64. A client over
	// the bound is told so and disconnected.
	MaxSessions int
	// IdleTimeout ends a session silent this long; 0 means 30 minutes.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one answer; 0 means 10 seconds.
	WriteTimeout time.Duration

	mu       sync.Mutex
	ctx      context.Context
	cancel   context.CancelFunc
	sessions map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// Listen opens a Unix socket at path with mode 0600. A socket left by a
// daemon that died is removed; one a live daemon answers on is not
// touched, and neither is a path that is not a socket.
func Listen(path string) (net.Listener, error) {
	stale, err := checkFree(path)
	if err != nil {
		return nil, err
	}
	if stale {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("control socket %s: removing the stale socket: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return l, nil
}

// CheckFree reports an error when path is a socket a live daemon answers
// on, or not a socket at all; a daemon checks it before it takes its data
// directory, so a second one says why at once.
func CheckFree(path string) error {
	_, err := checkFree(path)
	return err
}

// checkFree reports whether path holds a stale socket to remove.
func checkFree(path string) (stale bool, err error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, nil
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return false, fmt.Errorf("control socket %s: the path exists and is not a socket; not touching it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return false, fmt.Errorf("control socket %s is in use by a running daemon (stop it, or give another Control_Listener path)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		return false, fmt.Errorf("control socket %s: cannot tell whether a daemon owns it: %w", path, err)
	}
	return true, nil
}

func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[net.Conn]struct{}{}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

// Serve accepts sessions on l until l is closed.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	max := s.MaxSessions
	if max <= 0 {
		max = 64
	}
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.mu.Lock()
		full := len(s.sessions) >= max
		if !full {
			s.sessions[conn] = struct{}{}
		}
		s.mu.Unlock()
		if full {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			writeFrame(conn, "ERR", fmt.Sprintf("too many console sessions (%d); try again later", max))
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go s.session(conn)
	}
}

// Shutdown ends every session, waiting for commands in flight until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.cancel()
	s.mu.Lock()
	for c := range s.sessions {
		// Unblock a session waiting for input; one running a command
		// finishes it first.
		c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.sessions {
			c.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

func (s *Server) session(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error("console session panicked", "panic", fmt.Sprint(r))
		}
	}()
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	wt := s.WriteTimeout
	if wt <= 0 {
		wt = 10 * time.Second
	}
	r := bufio.NewReaderSize(conn, 4096)
	for {
		if s.ctx.Err() != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(idle))
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			conn.SetWriteDeadline(time.Now().Add(wt))
			if writeFrame(conn, "ERR", fmt.Sprintf("line too long: commands are at most %d bytes", MaxLine)) != nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		if strings.EqualFold(cmd, "quit") || strings.EqualFold(cmd, "exit") {
			conn.SetWriteDeadline(time.Now().Add(wt))
			writeFrame(conn, "OK", "")
			return
		}
		out, err := s.Console.Exec(s.ctx, cmd)
		kind, body := "OK", out
		if err != nil {
			kind, body = "ERR", err.Error()
			log.Info("console command failed", "command", cmd, "error", body)
		}
		conn.SetWriteDeadline(time.Now().Add(wt))
		if err := writeFrame(conn, kind, body); err != nil {
			log.Info("console client gone", "error", err)
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most MaxLine bytes; a longer one is read
// to its end and reported as errLineTooLong.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(b)+len(chunk) > MaxLine+2 {
				tooLong, b = true, nil
			} else {
				b = append(b, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return "", errLineTooLong
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(b) > 0 && !tooLong:
			return strings.TrimRight(string(b), "\r\n"), nil
		default:
			return "", err
		}
	}
}

func writeFrame(w io.Writer, kind, body string) error {
	_, err := fmt.Fprintf(w, "%s %d\n%s", kind, len(body), body)
	return err
}
