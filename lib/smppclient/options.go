package smppclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/smpp"
)

// Defaults of the options, as Momentum documents them.
const (
	DefaultPort          = 2775
	DefaultWindow        = 10               // smpp_command_window_size
	DefaultEnquireLink   = 60 * time.Second // smpp_enquire_link_timer
	DefaultResponseTimer = 15 * time.Second // smpp_response_timer
	DefaultMaxSegments   = 255              // smpp_esme_max_segments
	DefaultRefnumLength  = 2                // smpp_csms_refnum_length
	DefaultThrottle      = time.Second      // smpp_esme_throttled_timeout
)

// Settings are what one client's binds share: where to connect and how
// to bind. They come from a domain's config scope (FromConfig) or are
// built directly by tests.
type Settings struct {
	// Name identifies the client in logs and the console: the domain.
	Name       string
	Addr       string // host:port
	SystemID   string
	Password   string
	SystemType string
	// BindType is smpp.BindTransceiver (default), BindTransmitter or
	// BindReceiver.
	BindType smpp.CommandID
	// BindTypes, when set, are several kinds of bind to keep, Binds of
	// each: an SMSC that takes submits on transmitter binds and sends
	// receipts on receiver binds (smpp_bind_type = ("transmitter"
	// "receiver")). BindType is its first.
	BindTypes []smpp.CommandID
	// Binds is how many sessions to keep open; default 1.
	Binds int
	// Window is how many submits may await their response per bind.
	Window          int
	EnquireLink     time.Duration
	BindTimeout     time.Duration
	SubmitTimeout   time.Duration
	ThrottleTimeout time.Duration // pause after ESME_RTHROTTLED or ESME_RMSGQFUL; default 1s
	TLS             *tls.Config
	// ReconnectMin and ReconnectMax bound the backoff between attempts;
	// defaults 100ms and 30s.
	ReconnectMin, ReconnectMax time.Duration
	// RefusedBackoff is the wait after the SMSC refused the account
	// (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL); default 5 minutes.
	RefusedBackoff time.Duration
	// Resolve, when set, gives the address to connect to for Addr at
	// each connection (a scenario's simulator on a free port).
	Resolve func(addr string) string
}

func (s *Settings) defaults() {
	if s.BindType == 0 {
		s.BindType = smpp.BindTransceiver
	}
	if len(s.BindTypes) == 0 {
		s.BindTypes = []smpp.CommandID{s.BindType}
	}
	if s.Binds <= 0 {
		s.Binds = 1
	}
	if s.Window <= 0 {
		s.Window = DefaultWindow
	}
	if s.EnquireLink <= 0 {
		s.EnquireLink = DefaultEnquireLink
	}
	if s.BindTimeout <= 0 {
		s.BindTimeout = DefaultResponseTimer
	}
	if s.SubmitTimeout <= 0 {
		s.SubmitTimeout = DefaultResponseTimer
	}
	if s.ReconnectMin <= 0 {
		s.ReconnectMin = 100 * time.Millisecond
	}
	if s.ReconnectMax <= 0 {
		s.ReconnectMax = 30 * time.Second
	}
	if s.ThrottleTimeout <= 0 {
		s.ThrottleTimeout = DefaultThrottle
	}
	if s.RefusedBackoff <= 0 {
		s.RefusedBackoff = 5 * time.Minute
	}
}

// opts reads options of one scope with typed getters that name the
// option and where it was set on a bad value.
type opts struct {
	cfg   *config.Config
	scope config.Scope
	err   error
}

func (o *opts) str(name, def string) string {
	if v, ok := o.cfg.Eval(o.scope, name); ok {
		return v.String()
	}
	return def
}

func (o *opts) int(name string, def int) int {
	v, ok := o.cfg.Eval(o.scope, name)
	if !ok {
		return def
	}
	n, err := v.Int()
	if err != nil && o.err == nil {
		o.err = err
	}
	return n
}

func (o *opts) bool(name string, def bool) bool {
	v, ok := o.cfg.Eval(o.scope, name)
	if !ok {
		return def
	}
	b, err := v.Bool()
	if err != nil && o.err == nil {
		o.err = err
	}
	return b
}

// seconds reads Momentum's timers: seconds, with fractions ("0.5").
func (o *opts) seconds(name string, def time.Duration) time.Duration {
	v, ok := o.cfg.Eval(o.scope, name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.String()), 64)
	if err != nil || f < 0 {
		if o.err == nil {
			o.err = fmt.Errorf("%s: %s: expected seconds (for example 15 or 0.5), found %q", v.Pos(), name, v.String())
		}
		return def
	}
	if f == 0 {
		return def
	}
	return time.Duration(f * float64(time.Second))
}

func (o *opts) fail(name string, format string, args ...any) {
	if o.err != nil {
		return
	}
	pos := ""
	if v, ok := o.cfg.Eval(o.scope, name); ok {
		pos = v.Pos().String() + ": "
	}
	o.err = fmt.Errorf("%s%s: %s", pos, name, fmt.Sprintf(format, args...))
}

// FromConfig reads the connection settings of an SMPP domain.
func FromConfig(cfg *config.Config, domain string) (Settings, error) {
	o := &opts{cfg: cfg, scope: config.Scope{Domain: domain}}
	s := Settings{Name: domain}
	host := o.str(config.SMPPSMSCServer, "")
	if host == "" {
		msg := fmt.Sprintf("domain %s: %s is not set: an SMPP domain names its SMSC", domain, config.SMPPSMSCServer)
		for _, n := range cfg.Root().Scopes("domain") {
			if n.Named && strings.EqualFold(n.Name, domain) {
				return s, &config.Error{Pos: n.Pos, Msg: msg}
			}
		}
		return s, errors.New(msg)
	}
	port := o.int(config.SMPPSMSCPort, DefaultPort)
	s.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	s.SystemID = o.str(config.SMPPSMSCSystemID, "")
	s.Password = o.str(config.SMPPSMSCPassword, "")
	s.SystemType = o.str(config.SMPPSMSCSystemType, "")
	types := []string{"transceiver"}
	if v, ok := cfg.Eval(o.scope, config.SMPPBindType); ok {
		types = v.List()
	}
	for _, t := range types {
		var k smpp.CommandID
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "transceiver":
			k = smpp.BindTransceiver
		case "transmitter":
			k = smpp.BindTransmitter
		case "receiver":
			k = smpp.BindReceiver
		default:
			o.fail(config.SMPPBindType, "%q: want transceiver, transmitter or receiver, or a list of them", t)
			continue
		}
		if !slices.Contains(s.BindTypes, k) {
			s.BindTypes = append(s.BindTypes, k)
		}
	}
	if len(s.BindTypes) > 0 {
		s.BindType = s.BindTypes[0]
	}
	s.Binds = o.int(config.MaxOutboundConnections, 1)
	s.Window = o.int(config.SMPPCommandWindowSize, DefaultWindow)
	s.EnquireLink = o.seconds(config.SMPPEnquireLinkTimer, DefaultEnquireLink)
	resp := o.seconds(config.SMPPResponseTimer, DefaultResponseTimer)
	s.BindTimeout = o.seconds(config.SMPPBindResponseTimer, resp)
	s.SubmitTimeout = o.seconds(config.SMPPSubmitRespTimer, resp)
	s.ThrottleTimeout = o.seconds(config.SMPPThrottledTimeout, DefaultThrottle)
	if o.bool(config.SMPPSMSCTLS, false) {
		s.TLS = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if s.Binds < 1 || s.Window < 1 {
		o.fail(config.SMPPCommandWindowSize, "the window and the number of binds must be at least 1")
	}
	s.defaults()
	return s, o.err
}

// tons and npis name the TON and NPI values (5.2.5, 5.2.6) as Momentum's
// options write them.
var tons = map[string]uint8{
	"unknown": 0, "international": 1, "national": 2, "network": 3, "network specific": 3,
	"subscriber number": 4, "alphanumeric": 5, "abbreviated": 6, "abreviated": 6, "extension": 7,
}

var npis = map[string]uint8{"unknown": 0, "e164": 1, "isdn": 1, "data": 3, "telex": 4, "land mobile": 6, "national": 8, "private": 9, "ermes": 10, "internet": 14, "wap": 18}

func lookupCode(table map[string]uint8, v string) (uint8, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if n, ok := table[v]; ok {
		return n, true
	}
	n, err := strconv.ParseUint(v, 10, 8)
	return uint8(n), err == nil
}

// codings names smpp_sms_data_coding's values (5.2.19).
var codings = map[string]int{
	"default": -1, "ascii": smpp.CodingIA5, "us-ascii": smpp.CodingIA5, "latin-1": smpp.CodingLatin1,
	"latin1": smpp.CodingLatin1, "iso-8859-1": smpp.CodingLatin1, "ucs2": smpp.CodingUCS2,
	"utf-16": smpp.CodingUCS2, "utf16": smpp.CodingUCS2, "gsm": smpp.CodingDefault, "gsm0338": smpp.CodingDefault,
}

// Submit is what a domain's config says about its submit_sm.
type Submit struct {
	Source               string
	SourceTON, SourceNPI uint8
	DestTON, DestNPI     uint8
	ServiceType          string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	Track                bool
	Coding               int // -1: GSM when it fits, UCS-2 otherwise
	// Alphabet is how the SMSC reads data_coding 0 (its default
	// alphabet): smpp.CodingDefault for GSM 03.38, or CodingIA5 or
	// CodingLatin1 for SMSCs that take the octets as ASCII or Latin-1.
	Alphabet              uint8
	Split                 smpp.SplitOptions
	SubmitIDs, ReceiptIDs smpp.IDFormat
}

// SubmitConfig reads the per-message options for a domain.
func SubmitConfig(cfg *config.Config, domain string) (Submit, error) {
	o := &opts{cfg: cfg, scope: config.Scope{Domain: domain}}
	var s Submit
	s.Source = o.str(config.SMPPESMEAddress, "")
	var ok bool
	if s.SourceTON, ok = lookupCode(tons, o.str(config.SMPPESMETON, "unknown")); !ok {
		o.fail(config.SMPPESMETON, "not a type of number")
	}
	if s.SourceNPI, ok = lookupCode(npis, o.str(config.SMPPESMENPI, "e164")); !ok {
		o.fail(config.SMPPESMENPI, "not a numbering plan")
	}
	if s.DestTON, ok = lookupCode(tons, o.str(config.SMPPDestTON, "international")); !ok {
		o.fail(config.SMPPDestTON, "not a type of number")
	}
	if s.DestNPI, ok = lookupCode(npis, o.str(config.SMPPDestNPI, "e164")); !ok {
		o.fail(config.SMPPDestNPI, "not a numbering plan")
	}
	s.ServiceType = o.str(config.SMPPServiceType, "")
	if vp := o.str(config.SMPPValidityPeriod, ""); !strings.EqualFold(vp, "null") {
		s.ValidityPeriod = vp
		if err := smpp.CheckTime(vp); err != nil {
			o.fail(config.SMPPValidityPeriod, "%v", err)
		}
	}
	dc := strings.ToLower(o.str(config.SMPPDataCoding, "default"))
	if c, known := codings[dc]; known {
		s.Coding = c
	} else if n, err := strconv.Atoi(dc); err == nil && (n == 0 || n == 1 || n == 3 || n == 8) {
		s.Coding = n
	} else {
		o.fail(config.SMPPDataCoding, "%q: want default, ascii, latin-1, ucs2 or 0, 1, 3, 8", dc)
	}
	switch a := strings.ToLower(strings.TrimSpace(o.str(config.SMPPDefaultAlphabet, "gsm"))); a {
	case "gsm", "gsm0338", "default":
		s.Alphabet = smpp.CodingDefault
	case "ascii", "ia5", "us-ascii":
		s.Alphabet = smpp.CodingIA5
	case "latin1", "latin-1", "iso-8859-1":
		s.Alphabet = smpp.CodingLatin1
	default:
		o.fail(config.SMPPDefaultAlphabet, "%q: want GSM, ASCII or LATIN1 (msyshost encodes no other default alphabet)", a)
	}
	s.Split.Concat = smpp.ConcatSAR
	if o.bool(config.SMPPUDHSegment, false) {
		s.Split.Concat = smpp.ConcatUDH
	}
	if o.bool(config.SMPPMessagePayload, false) {
		s.Split.Concat = smpp.ConcatPayload
	}
	s.Split.RefLen = o.int(config.SMPPCSMSRefnumLength, DefaultRefnumLength)
	if s.Split.RefLen < 0 || s.Split.RefLen > 2 {
		o.fail(config.SMPPCSMSRefnumLength, "want 0, 1 or 2")
	}
	s.Split.MaxSegments = o.int(config.SMPPMaxSegments, DefaultMaxSegments)
	var err error
	if s.SubmitIDs, err = smpp.ParseIDFormat(o.str(config.SMPPSubmitResponseMessageIDFormat.Name, "string")); err != nil {
		o.fail(config.SMPPSubmitResponseMessageIDFormat.Name, "%v", err)
	}
	if s.ReceiptIDs, err = smpp.ParseIDFormat(o.str(config.SMPPDeliveryReceiptMessageIDFormat.Name, "string")); err != nil {
		o.fail(config.SMPPDeliveryReceiptMessageIDFormat.Name, "%v", err)
	}
	if o.err != nil {
		return s, o.err
	}
	return s, nil
}
