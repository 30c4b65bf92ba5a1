package mm7

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MM7 binds SOAP to HTTP POST (TS 23.140 clause 8, "transport"): both ends
// read a request the same way and answer one they cannot take with a SOAP
// Fault. ReadRequest, CheckBasicAuth, WriteEnvelope and WriteFault are that
// shared part of the VASP's receiver (lib/mm7server) and the relay
// simulator (lib/mmsc).

// CheckBasicAuth reports whether r carries the Basic credentials user and
// password, compared in constant time.
func CheckBasicAuth(r *http.Request, user, password string) bool {
	u, p, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u+"\x00"+p), []byte(user+"\x00"+password)) == 1
}

// ReadRequest reads an MM7 request body of at most max bytes and decodes
// it within lim. A request that cannot be taken is an *Error with the
// StatusCode to answer (2004 for one over max; see Decode for the rest),
// with env holding what could be read of it (its TransactionID and
// namespace) or nil; any other error means the body could not be read
// at all (the peer went away), and there is no one to answer.
func ReadRequest(w http.ResponseWriter, r *http.Request, max int64, lim Limits) (*Envelope, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &Error{Code: MultimediaContentRefused, Text: fmt.Sprintf("request larger than %d bytes", max)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	env, err := Decode(r.Header.Get("Content-Type"), body, lim)
	var me *Error
	if err != nil && !errors.As(err, &me) {
		err = &Error{Code: ValidationError, Text: err.Error()}
	}
	return env, err
}

// WriteEnvelope writes env as an HTTP answer with status code.
func WriteEnvelope(w http.ResponseWriter, code int, env *Envelope) error {
	ct, body, err := Style{}.Encode(env)
	if err != nil {
		http.Error(w, "answer not written", http.StatusInternalServerError)
		return fmt.Errorf("writing the %s answer: %w", env.BodyName(), err)
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	_, err = w.Write(body)
	return err
}

// WriteFault answers a request that cannot be taken: HTTP 500 (SOAP 1.1
// §6.2) and a SOAP Fault whose detail is a VASPErrorRsp (vasp) or an
// RSErrorRsp (TS 23.140 clause 8, MM7_VASP_error.RES and MM7_RS_error.RES),
// in the request's namespace and TransactionID (req may be nil), with the
// MM7Version of that namespace. The faultcode is faultCode when set (see
// Error.Fault), else Server for what the answering side may get over
// (class 3, and 4006 Service unavailable: the sender should try again),
// else Client.
func WriteFault(w http.ResponseWriter, req *Envelope, vasp bool, st Status, faultCode string) error {
	if req == nil {
		req = &Envelope{}
	}
	code := faultCode
	if code == "" {
		code = "Client"
		if st.Code >= 3000 && st.Code < 4000 || st.Code == ServiceUnavailable {
			code = "Server"
		}
	}
	if st.Text == "" {
		st.Text = StatusText(st.Code)
	}
	st.Text, st.Details = CleanText(st.Text), CleanText(st.Details)
	return WriteEnvelope(w, http.StatusInternalServerError, &Envelope{TransactionID: req.TransactionID, Namespace: req.Namespace,
		Fault: &Fault{Code: code, String: st.Text, Detail: &ErrorRsp{VASP: vasp, MM7Version: VersionOf(orDefault(req.Namespace)), Status: st}}})
}

func orDefault(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}

// FaultOf returns the status and faultcode to answer a ReadRequest or
// Decode error with.
func FaultOf(err error) (Status, string) {
	var me *Error
	if !errors.As(err, &me) {
		return Status{Code: ValidationError, Text: StatusText(ValidationError), Details: err.Error()}, ""
	}
	return Status{Code: me.Code, Text: StatusText(me.Code), Details: me.Text}, me.Fault
}
