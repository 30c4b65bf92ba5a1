package curl

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Receiving a transfer's response: the body written to the write
// function, progress and the low-speed limit, content decoding, and the
// classification of failures into curl's codes.

func (e *Easy) write(cb Callbacks, p []byte) *Error {
	if cb.Write == nil {
		// libcurl's default write function writes to stdout.
		if _, err := os.Stdout.Write(p); err != nil {
			return fail(EWriteError, "%v", err)
		}
		return nil
	}
	if n := cb.Write(p); n != len(p) {
		return fail(EWriteError, "the write function took %d of %d bytes", n, len(p))
	}
	return nil
}

// receive reads the final response's body into the write function.
func (e *Easy) receive(ctx context.Context, cancel context.CancelCauseFunc, resp *http.Response, method string, cb Callbacks) *Error {
	defer resp.Body.Close()
	e.info.ResponseCode = resp.StatusCode
	e.info.EffectiveURL = resp.Request.URL.String()
	e.info.ContentType = resp.Header.Get("Content-Type")
	if resp.ContentLength >= 0 {
		e.info.ContentLengthDownload = float64(resp.ContentLength)
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		e.info.Filetime = t.Unix()
	}
	if e.FailOnError && resp.StatusCode >= 400 {
		return fail(EHTTPReturnedError, "The requested URL returned error: %d", resp.StatusCode)
	}
	if e.MaxFileSize > 0 && resp.ContentLength > e.MaxFileSize {
		return fail(EFilesizeExceeded, "%d bytes announced, limit %d", resp.ContentLength, e.MaxFileSize)
	}
	if method == http.MethodHead {
		return nil
	}
	body, cerr := e.decoded(resp)
	if cerr != nil {
		return cerr
	}
	var got atomic.Int64
	if e.LowSpeedLimit > 0 && e.LowSpeedTime > 0 {
		stop := e.watchSpeed(cancel, &got)
		defer stop()
	}
	size := e.BufferSize
	if size <= 0 {
		size = 16384
	}
	size = min(max(size, 1024), 512<<10)
	buf := make([]byte, size)
	total := float64(resp.ContentLength)
	if total < 0 {
		total = 0
	}
	if cerr := e.progress(cb, total, 0); cerr != nil {
		return cerr
	}
	for {
		n, err := body.Read(buf)
		if n > 0 {
			got.Add(int64(n))
			e.info.SizeDownload += int64(n)
			if e.MaxFileSize > 0 && e.info.SizeDownload > e.MaxFileSize {
				return fail(EFilesizeExceeded, "more than %d bytes received", e.MaxFileSize)
			}
			if cerr := e.write(cb, buf[:n]); cerr != nil {
				return cerr
			}
			if cerr := e.progress(cb, total, float64(e.info.SizeDownload)); cerr != nil {
				return cerr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(EPartialFile, "transfer closed with %d bytes remaining to read", resp.ContentLength-e.info.SizeDownload)
			}
			if _, ok := err.(gzipError); ok {
				return fail(EBadContentEncoding, "%v", err)
			}
			return classify(ctx, err)
		}
	}
	return nil
}

func (e *Easy) progress(cb Callbacks, dltotal, dlnow float64) *Error {
	if e.NoProgress || cb.Progress == nil {
		return nil
	}
	if cb.Progress(dltotal, dlnow, e.info.ContentLengthUpload, float64(e.info.SizeUpload)) {
		return fail(EAbortedByCallback, "the progress function aborted the transfer")
	}
	return nil
}

// errTooSlow is the cause a stalled transfer is cancelled with.
var errTooSlow = errors.New("transfer too slow")

// watchSpeed cancels the transfer when fewer than LOW_SPEED_LIMIT bytes a
// second arrived over the last LOW_SPEED_TIME.
func (e *Easy) watchSpeed(cancel context.CancelCauseFunc, got *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		window := e.LowSpeedTime
		tick := time.NewTicker(min(window, time.Second))
		defer tick.Stop()
		mark, since := got.Load(), time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if now.Sub(since) < window {
					continue
				}
				n := got.Load()
				if float64(n-mark)/now.Sub(since).Seconds() < float64(e.LowSpeedLimit) {
					cancel(fmt.Errorf("%w: less than %d bytes/sec transferred the last %v", errTooSlow, e.LowSpeedLimit, window))
					return
				}
				mark, since = n, now
			}
		}
	}()
	return func() { close(done) }
}

// gzipError marks a content decoding failure.
type gzipError struct{ error }

type decodeReader struct{ r io.Reader }

func (d decodeReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && !isNetErr(err) {
		err = gzipError{err}
	}
	return n, err
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// decoded undoes the Content-Encoding a request with ENCODING accepted.
func (e *Easy) decoded(resp *http.Response) (io.Reader, *Error) {
	if e.Encoding == nil {
		return resp.Body, nil
	}
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return resp.Body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fail(EBadContentEncoding, "gzip: %v", err)
		}
		return decodeReader{zr}, nil
	case "deflate":
		// RFC 9110 deflate is zlib-wrapped; some servers send raw deflate.
		br := bufio.NewReader(resp.Body)
		if hdr, err := br.Peek(2); err == nil && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 && hdr[0]&0x0f == 8 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fail(EBadContentEncoding, "deflate: %v", err)
			}
			return decodeReader{zr}, nil
		}
		return decodeReader{flate.NewReader(br)}, nil
	default:
		return nil, fail(EBadContentEncoding, "unsupported Content-Encoding %q", enc)
	}
}

// classify maps a net/http error to the CURLcode libcurl gives for it.
func classify(ctx context.Context, err error) *Error {
	if cause := context.Cause(ctx); cause != nil && errors.Is(cause, errTooSlow) {
		return fail(EOperationTimedout, "%v", cause)
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var tlsVerify *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return fail(EOperationTimedout, "%v", err)
	case errors.Is(err, context.Canceled):
		return fail(EAbortedByCallback, "the transfer was cancelled: %v", err)
	case errors.As(err, &hostErr):
		return fail(ESSLPeerCertificate, "%v", err)
	case errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &tlsVerify):
		return fail(ESSLCACert, "%v", err)
	case errors.As(err, &recordErr), errors.As(err, &alert):
		return fail(ESSLConnectError, "%v", err)
	case errors.As(err, &dnsErr):
		return fail(ECouldntResolveHost, "%v", err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fail(ECouldntConnect, "%v", err)
	case errors.Is(err, io.EOF) || strings.Contains(err.Error(), "server closed"):
		return fail(EGotNothing, "%v", err)
	case strings.Contains(err.Error(), "tls:"):
		return fail(ESSLConnectError, "%v", err)
	}
	return fail(ERecvError, "%v", err)
}
