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
	// MaxOutput bounds one answer, on both sides.
	MaxOutput = 64 << 20
)

// Server serves a Console on Unix sockets. Each session has its own
// goroutine, its writes a deadline and its idle time a limit, so a slow
// or hung client never stalls another. Sessions are bounded; when they are
// all taken, the one idle longest makes room for a newcomer, so idle
// clients cannot lock an operator out.
type Server struct {
	Console *Console
	Log     *slog.Logger
	// MaxSessions bounds concurrent sessions; 0 means 64.
	MaxSessions int
	// IdleTimeout ends a session silent this long; 0 means 30 minutes.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one answer; 0 means 10 seconds.
	WriteTimeout time.Duration

	mu       sync.Mutex
	ctx      context.Context
	cancel   context.CancelFunc
	closing  bool
	sessions map[net.Conn]*session
	wg       sync.WaitGroup
}

// session is one client's state the server needs to see from outside it.
type session struct {
	idleSince time.Time // when it began waiting for a command; zero while one runs
}

// Listener is a control socket being listened on. Closing it removes the
// socket and releases its lock.
type Listener struct {
	net.Listener
	lock *os.File
	path string
}

// Close stops listening, removes the socket and releases the lock.
func (l *Listener) Close() error {
	err := l.Listener.Close()
	os.Remove(l.path + ".lock")
	l.lock.Close()
	return err
}

// Listen opens a Unix socket at path with mode 0600. It first takes an
// exclusive lock on path + ".lock", so two daemons starting at once cannot
// both decide a socket is stale; then a socket left by a daemon that died
// is removed, while one a live daemon answers on is not touched, and
// neither is a path that is not a socket. The socket is created under a
// umask that leaves it 0600 from its first moment.
func Listen(path string) (*Listener, error) {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("control socket %s is in use by a running daemon (its lock %s.lock is held)", path, path)
	}
	stale, err := checkFree(path)
	if err == nil && stale {
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("control socket %s: removing the stale socket: %w", path, rerr)
		}
	}
	var l net.Listener
	if err == nil {
		l, err = listenPrivate(path)
	}
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Listener{Listener: l, lock: lock, path: path}, nil
}

// umaskMu serialises the umask change, which is process-wide.
var umaskMu sync.Mutex

func listenPrivate(path string) (net.Listener, error) {
	umaskMu.Lock()
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	umaskMu.Unlock()
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
		s.sessions = map[net.Conn]*session{}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Serve accepts sessions on l until l is closed. A failed accept (too many
// open files) is retried after a pause that grows to a second, and logged.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	var pause time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			s.log().Error("control socket: accepting a console session failed; retrying", "error", err, "pause", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		if !s.admit(conn) {
			continue
		}
		go s.session(conn)
	}
}

// admit registers a new session, making room by closing the session idle
// longest when every place is taken; it refuses (and closes conn) when the
// server is shutting down or every session is running a command.
func (s *Server) admit(conn net.Conn) bool {
	max := s.MaxSessions
	if max <= 0 {
		max = 64
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		conn.Close()
		return false
	}
	if len(s.sessions) >= max {
		var oldest net.Conn
		var since time.Time
		for c, ss := range s.sessions {
			if !ss.idleSince.IsZero() && (oldest == nil || ss.idleSince.Before(since)) {
				oldest, since = c, ss.idleSince
			}
		}
		if oldest == nil {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			writeFrame(conn, "ERR", fmt.Sprintf("too many console sessions (%d), all busy; try again later", max))
			conn.Close()
			return false
		}
		// Its reader wakes with an error and the session ends.
		oldest.SetReadDeadline(time.Now())
		delete(s.sessions, oldest)
	}
	s.sessions[conn] = &session{idleSince: time.Now()}
	s.wg.Add(1)
	return true
}

// Shutdown stops admitting sessions and ends idle ones at once; commands
// in flight finish until ctx ends, then they are cancelled and their
// sessions closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	s.closing = true
	for c := range s.sessions {
		c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for c := range s.sessions {
			c.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// waiting marks a session idle (waiting for a command) or busy, and says
// whether it may go on.
func (s *Server) waiting(conn net.Conn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[conn]
	if !ok {
		return false // evicted
	}
	if idle {
		ss.idleSince = time.Now()
		return !s.closing
	}
	ss.idleSince = time.Time{}
	return true
}

func (s *Server) session(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	defer func() {
		if r := recover(); r != nil {
			s.log().Error("console session panicked", "panic", fmt.Sprint(r))
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
		// The deadline first, then the check: Shutdown sets a deadline of
		// now after it marks the server closing, and neither order of the
		// two can leave this read waiting past it.
		conn.SetReadDeadline(time.Now().Add(idle))
		if !s.waiting(conn, true) {
			return
		}
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			conn.SetWriteDeadline(time.Now().Add(wt))
			if writeFrame(conn, "ERR", fmt.Sprintf("line too long: commands are at most %d bytes", MaxLine)) != nil {
				return
			}
			continue
		}
		if err != nil || !s.waiting(conn, false) {
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
			s.log().Info("console command failed", "command", cmd, "error", body)
		}
		if len(body) > MaxOutput {
			kind, body = "ERR", fmt.Sprintf("the answer of %d bytes is over the console's limit of %d", len(body), MaxOutput)
		}
		conn.SetWriteDeadline(time.Now().Add(wt))
		if err := writeFrame(conn, kind, body); err != nil {
			s.log().Info("console client gone", "error", err)
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
