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

// Options the MM7 channel reads per message scope (binding, binding group,
// domain, global), with the names and defaults of Momentum's mobile
// reference ("Mobile Momentum MM7 Options", "Configuration for MM7").
// mm7_delivery_report, mm7_mstore_save_message and
// mm7_mstore_bucket_use_shortcode are read by retry.MM7PolicyOf.
const (
	OptVASPID            = "mm7_vaspid"                      // VASPID of SenderIdentification
	OptVASID             = "mm7_vasid"                       // VASID; default DefaultVASID
	OptSenderAddress     = "mm7_sender_address"              // SenderAddress (a short code, number or e-mail address)
	OptServiceCode       = "mm7_service_code"                // ServiceCode, for billing
	OptMessageClass      = "mm7_message_class"               // MessageClass: Personal, Informational, Advertisement, Auto
	OptReadReply         = "mm7_read_reply"                  // ReadReply; default false
	OptNumberPrefix      = "mm7_number_prefix"               // prepended to recipient numbers
	OptVersion           = "mm7_version"                     // MM7Version; default mm7.DefaultVersion
	OptXMLSchema         = "mm7_xml_schema"                  // schema namespace; default mm7.DefaultNamespace
	OptNamespace         = "mm7_namespace"                   // MM7 namespace prefix; default "mm7"
	OptSOAPEnv           = "mm7_soap_env"                    // SOAP envelope prefix; default "env"
	OptNamespaceInBody   = "mm7_use_namespace_in_body"       // prefix body elements; default false
	OptSimpleMIME        = "mm7_soap_attachment_simple_mime" // plain text goes as a bare text/plain; default true
	OptResponseTimer     = "mm7_response_timer"              // seconds to wait for the answer; default 10
	OptReplyCharging     = "mm7_reply_charging"              // ReplyCharging; default false
	OptReplyChargingSize = "mm7_reply_charging_size"         // its replyChargingSize; default 0
	OptReplyDeadline     = "mm7_reply_deadline"              // its replyDeadline

	// Where the relay is: routes = ("mm7://host/path?port=8080") with
	// delivery_method = "mm7" (Momentum 3.5.6 on), http_uri and http_host,
	// http_basic_auth = "user:password"; or the older options below.
	OptRoutes        = "routes"
	OptHTTPURI       = "http_uri"
	OptHTTPHost      = "http_host"
	OptHTTPBasicAuth = "http_basic_auth"

	OptMMSCServer       = "mm7_mmsc_server"        // deprecated: the relay's host
	OptMMSCPort         = "mm7_mmsc_port"          // deprecated: its port; default 8080
	OptMMSCPath         = "mm7_mmsc_path"          // deprecated: the request path; default "/"
	OptHTTPAuthUser     = "mm7_http_auth_user"     // deprecated: Basic auth user
	OptHTTPAuthPassword = "mm7_http_auth_password" // deprecated: Basic auth password
)

// Defaults Momentum documents.
const (
	DefaultVASID         = "MessageSystems-VASID"
	DefaultMMSCPort      = 8080
	DefaultResponseTimer = 10 * time.Second
)

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

// Settings are the options for one message, read and checked.
type Settings struct {
	URL                string // where SubmitReq is POSTed
	Host               string // http_host: the Host header, when set
	User, Password     string // Basic auth; none when User is ""
	Namespace, Version string
	Style              mm7.Style
	VASPID, VASID      string
	SenderAddress      string
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
		VASPID: r.str(OptVASPID, ""), VASID: r.str(OptVASID, DefaultVASID),
		SenderAddress: r.str(OptSenderAddress, ""), ServiceCode: r.str(OptServiceCode, ""),
		MessageClass: r.str(OptMessageClass, ""), NumberPrefix: r.str(OptNumberPrefix, ""),
		Version: r.str(OptVersion, mm7.DefaultVersion),
		Style: mm7.Style{
			EnvPrefix: r.str(OptSOAPEnv, "env"), Prefix: r.str(OptNamespace, "mm7"),
			PrefixBody: r.boolean(OptNamespaceInBody, false),
		},
		ReadReply: r.boolean(OptReadReply, false), SimpleMIME: r.boolean(OptSimpleMIME, true),
		ReplyCharging: r.boolean(OptReplyCharging, false), ReplyChargingSize: r.str(OptReplyChargingSize, "0"),
		ReplyDeadline: r.str(OptReplyDeadline, ""), Host: r.str(OptHTTPHost, ""),
	}
	if r.err != nil {
		return s, r.err
	}
	ns := r.str(OptXMLSchema, mm7.DefaultNamespace)
	canon, ok := mm7.CanonicalNamespace(ns)
	if !ok {
		return s, fmt.Errorf("%s %q is not an MM7 schema namespace (%sREL-5-MM7-1-0 ... REL-6-MM7-1-4)", OptXMLSchema, ns, mm7.NamespaceBase)
	}
	s.Namespace = canon
	if v, ok := cfg.Eval(scope, OptResponseTimer); ok {
		d, err := v.Duration()
		if err != nil {
			return s, err
		}
		s.ResponseTimer = d
	} else {
		s.ResponseTimer = DefaultResponseTimer
	}
	var err error
	if s.Policy, err = retry.MM7PolicyOf(cfg, scope); err != nil {
		return s, err
	}
	if s.URL, err = r.url(); err != nil {
		return s, err
	}
	if auth := r.str(OptHTTPBasicAuth, ""); auth != "" {
		user, pass, ok := strings.Cut(auth, ":")
		if !ok {
			return s, fmt.Errorf("%s must be \"user:password\"", OptHTTPBasicAuth)
		}
		s.User, s.Password = user, pass
	} else {
		s.User, s.Password = r.str(OptHTTPAuthUser, ""), r.str(OptHTTPAuthPassword, "")
	}
	return s, r.err
}

type reader struct {
	cfg   *config.Config
	scope config.Scope
	err   error
}

func (r *reader) str(name, def string) string {
	v, ok := r.cfg.Eval(r.scope, name)
	if !ok {
		return def
	}
	if v.Kind() != config.Scalar && r.err == nil {
		r.err = fmt.Errorf("%s: %s must be a single value", v.Pos(), name)
	}
	return v.String()
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.cfg.Eval(r.scope, name)
	if !ok {
		return def
	}
	b, err := v.Bool()
	if err != nil && r.err == nil {
		r.err = err
	}
	return b
}

// url finds the relay: the first of routes (mm7://, http:// or https://;
// a port= query parameter as Momentum writes it), else mm7_mmsc_server and
// mm7_mmsc_port; the path from the route, else http_uri, else
// mm7_mmsc_path.
func (r *reader) url() (string, error) {
	path := r.str(OptHTTPURI, "")
	if path == "" {
		path = r.str(OptMMSCPath, "/")
	}
	if v, ok := r.cfg.Eval(r.scope, OptRoutes); ok {
		routes := v.List()
		if len(routes) == 0 {
			return "", fmt.Errorf("%s: %s is empty", v.Pos(), OptRoutes)
		}
		u, err := url.Parse(routes[0])
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%s: %s entry %q is not a URL such as mm7://host/path?port=8080", v.Pos(), OptRoutes, routes[0])
		}
		switch strings.ToLower(u.Scheme) {
		case "mm7", "http":
			u.Scheme = "http"
		case "https":
		default:
			return "", fmt.Errorf("%s: %s entry %q: scheme %s is not mm7, http or https", v.Pos(), OptRoutes, routes[0], u.Scheme)
		}
		q := u.Query()
		if p := q.Get("port"); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
				return "", fmt.Errorf("%s: %s entry %q: bad port %q", v.Pos(), OptRoutes, routes[0], p)
			}
			u.Host = net.JoinHostPort(u.Hostname(), p)
			q.Del("port")
			u.RawQuery = q.Encode()
		} else if u.Port() == "" && u.Scheme == "http" {
			u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultMMSCPort))
		}
		if u.Path == "" {
			u.Path = path
		}
		return u.String(), nil
	}
	host := r.str(OptMMSCServer, "")
	if host == "" {
		return "", fmt.Errorf("no MMSC for domain %q: set %s (for example \"mm7://mmsc.example.net/mm7?port=8080\") or %s",
			r.scope.Domain, OptRoutes, OptMMSCServer)
	}
	port := r.str(OptMMSCPort, strconv.Itoa(DefaultMMSCPort))
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
