package mm7client

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
	"msyshost/lib/retry"
)

// The options the channel reads are declared in lib/config (mm7.go), with
// Momentum's names and defaults; mm7_delivery_report,
// mm7_mstore_save_message and mm7_mstore_bucket_use_shortcode are read by
// retry.MM7PolicyOf.

// Message context keys Momentum's MM7 hooks read and write (the
// "MM7-related ec_message context variables"): a script sets the first
// group to override the config for one message; the channel sets the
// second after the relay answers.
const (
	CtxSenderAddress  = "MM7_Sender_Address"
	CtxDeliveryReport = "MM7_Delivery_Report"
	CtxReadReply      = "MM7_Read_Reply"
	CtxServiceCode    = "MM7_Service_Code"
	CtxMessageClass   = "MM7_Message_Class"
	CtxNumberPrefix   = "MM7_Number_Prefix"

	CtxTransactionID        = "MM7_Transaction_ID"
	CtxResponseStatus       = "MM7_Response_Status"
	CtxResponseStatusDetail = "MM7_Response_Status_Detail"
	CtxResponseMessageID    = "MM7_Response_Message_ID"
)

// MinResponseTimer is the least mm7_response_timer taken.
const MinResponseTimer = time.Second

// Settings are the options for one message, read and checked.
type Settings struct {
	URL                string // where SubmitReq is POSTed
	Host               string // http_host: the Host header, when set
	User, Password     string // Basic auth; none when User is ""
	Namespace, Version string
	Style              mm7.Style
	VASPID, VASID      string
	SenderAddress      string
	SenderAddressType  string // mm7_sender_address_type: SenderAuto, SenderShortCode or SenderNumber
	ServiceCode        string
	MessageClass       string
	NumberPrefix       string
	ReadReply          bool
	SimpleMIME         bool
	ResponseTimer      time.Duration
	ReplyCharging      bool
	ReplyChargingSize  string
	ReplyDeadline      string
	Policy             retry.MM7Policy
}

// SettingsFor reads the settings of a message's scope. Errors name the
// option and where it was set.
func SettingsFor(cfg *config.Config, scope config.Scope) (Settings, error) {
	r := reader{cfg: cfg, scope: scope}
	s := Settings{
		VASPID: r.str(config.MM7VASPID), VASID: r.str(config.MM7VASID),
		SenderAddress: r.str(config.MM7SenderAddress), SenderAddressType: r.str(config.MM7SenderAddressType),
		ServiceCode:  r.str(config.MM7ServiceCode),
		MessageClass: r.str(config.MM7MessageClass), NumberPrefix: r.str(config.MM7NumberPrefix),
		Version: r.str(config.MM7Version),
		Style: mm7.Style{
			EnvPrefix: r.str(config.MM7SOAPEnv), Prefix: r.str(config.MM7Namespace),
			PrefixBody: r.boolean(config.MM7NamespaceInBody),
		},
		ReadReply: r.boolean(config.MM7ReadReply), SimpleMIME: r.boolean(config.MM7SimpleMIME),
		ReplyCharging: r.boolean(config.MM7ReplyCharging), ReplyChargingSize: r.str(config.MM7ReplyChargeSize),
		ReplyDeadline: r.str(config.MM7ReplyDeadline), Host: r.str(config.HTTPHost),
		ResponseTimer: r.duration(config.MM7ResponseTimer),
	}
	if r.err != nil {
		return s, r.err
	}
	if s.ResponseTimer < MinResponseTimer {
		// 0 would wait for ever on a relay that never answers, holding
		// the message and a delivery slot.
		return s, fmt.Errorf("%s %s is below the minimum of %s", config.MM7ResponseTimer.Name, s.ResponseTimer, MinResponseTimer)
	}
	ns := r.str(config.MM7XMLSchema)
	canon, ok := mm7.CanonicalNamespace(ns)
	if !ok {
		return s, fmt.Errorf("%s %q is not an MM7 schema namespace (%sREL-5-MM7-1-0 ... REL-6-MM7-1-4)", config.MM7XMLSchema.Name, ns, mm7.NamespaceBase)
	}
	s.Namespace = canon
	if s.Version == "" {
		// A Release 5 relay that validates refuses a 6.x version in its
		// namespace: the version follows the schema unless set.
		s.Version = mm7.VersionOf(canon)
	}
	var err error
	if s.Policy, err = retry.MM7PolicyOf(cfg, scope); err != nil {
		return s, err
	}
	if s.URL, err = r.url(); err != nil {
		return s, err
	}
	if auth := r.str(config.HTTPBasicAuth); auth != "" {
		user, pass, ok := strings.Cut(auth, ":")
		if !ok || user == "" {
			// Without a user, nothing would be sent at all.
			return s, fmt.Errorf("%s must be \"user:password\" with a user", config.HTTPBasicAuth.Name)
		}
		s.User, s.Password = user, pass
	} else {
		s.User, s.Password = r.str(config.MM7HTTPAuthUser), r.str(config.MM7HTTPAuthPass)
	}
	return s, r.err
}

// reader reads options of one scope, keeping the first error.
type reader struct {
	cfg   *config.Config
	scope config.Scope
	err   error
}

func (r *reader) keep(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

func (r *reader) str(o *config.OptionSpec) string {
	v, ok := o.Value(r.cfg, r.scope)
	if ok && v.Kind() != config.Scalar {
		r.keep(fmt.Errorf("%s: %s must be a single value", v.Pos(), o.Name))
	}
	return v.String()
}

func (r *reader) boolean(o *config.OptionSpec) bool {
	b, err := o.Bool(r.cfg, r.scope)
	r.keep(err)
	return b
}

func (r *reader) duration(o *config.OptionSpec) time.Duration {
	d, err := o.Duration(r.cfg, r.scope)
	r.keep(err)
	return d
}

// url finds the relay: the first of routes (mm7://, http:// or https://;
// a port= query parameter as Momentum writes it), else mm7_mmsc_server and
// mm7_mmsc_port; the path from the route, else http_uri, else
// mm7_mmsc_path.
func (r *reader) url() (string, error) {
	path := r.str(config.HTTPURI)
	if path == "" {
		path = r.str(config.MM7MMSCPath)
	}
	// routes is SMTP out's option too; lib/smtpclient declares it.
	if v, ok := r.cfg.Eval(r.scope, "routes"); ok {
		routes := v.List()
		name := "routes"
		if len(routes) == 0 {
			return "", fmt.Errorf("%s: %s is empty", v.Pos(), name)
		}
		u, err := url.Parse(routes[0])
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%s: %s entry %q is not a URL such as mm7://host/path?port=8080", v.Pos(), name, routes[0])
		}
		switch strings.ToLower(u.Scheme) {
		case "mm7", "http":
			u.Scheme = "http"
		case "https":
		default:
			return "", fmt.Errorf("%s: %s entry %q: scheme %s is not mm7, http or https", v.Pos(), name, routes[0], u.Scheme)
		}
		q := u.Query()
		if p := q.Get("port"); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
				return "", fmt.Errorf("%s: %s entry %q: bad port %q", v.Pos(), name, routes[0], p)
			}
			u.Host = net.JoinHostPort(u.Hostname(), p)
			q.Del("port")
			u.RawQuery = q.Encode()
		} else if u.Port() == "" && u.Scheme == "http" {
			// An MMSC route without a port: mm7_mmsc_port, 8080 by default.
			port, err := config.MM7MMSCPort.Int(r.cfg, r.scope)
			if err != nil {
				return "", err
			}
			u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
		}
		if u.Path == "" {
			u.Path = path
		}
		return u.String(), nil
	}
	host := r.str(config.MM7MMSCServer)
	if host == "" {
		return "", fmt.Errorf("no MMSC for domain %q: set routes (for example \"mm7://mmsc.example.net/mm7?port=8080\") or %s",
			r.scope.Domain, config.MM7MMSCServer.Name)
	}
	port, err := config.MM7MMSCPort.Int(r.cfg, r.scope)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + path, nil
}
