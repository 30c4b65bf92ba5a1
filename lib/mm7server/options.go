package mm7server

import (
	"fmt"
	"strings"

	"msyshost/lib/config"
)

// The receiver's config, as Momentum's mm7_serv module and HTTP_Listener
// take it ("The mm7_serv Module", "HTTP_Listener"); the options are
// declared in lib/config (mm7.go):
//
//	HTTP_Listener { Listen "127.0.0.1:8089" { } }
//	mm7_serv {
//	  mm7_vasp_uri_paths = ( "/mm7/" )
//	  mm7_server_version = "6.8.0"
//	  mm7_server_default_email_from_domain = "mms.example.com"
//	  mm7_server_default_email_to_address = "inbox@example.com"
//	}
//
// mm7_server_basic_auth ("user:password") is msyshost's own: Momentum
// authenticates HTTP listeners through its ecauth back end
// (enable_authentication, AuthPlainParameters), which msyshost does not
// carry. So are mm7_server_allow_unauthenticated (a receiver beyond
// loopback needs credentials unless it is set) and HTTP_Listener's
// TLS_Certificate and TLS_Key (Momentum's names for a listener's
// certificate), which make the receiver speak HTTPS.

// Defaults: loopback only until the config says otherwise.
const (
	DefaultAddr    = "127.0.0.1:8089"
	DefaultPath    = "/mm7/"
	DefaultMaxSize = 4 << 20
)

// OptionsFrom reads the receiver's options from cfg; Core, Injector,
// UseShortcode, WorkTimeout and Log are for the caller to fill. ok is false
// when cfg has no mm7_serv scope: no receiver is configured (HTTP_Listener
// is read all the same, for a scenario's receiver).
func OptionsFrom(cfg *config.Config) (opts Options, ok bool, err error) {
	root := cfg.Root()
	if ls := root.Scopes("http_listener"); len(ls) > 0 {
		l := ls[0]
		if v, ok := config.MaxRequestSize.In(l); ok {
			n, err := v.Int()
			if err != nil {
				return opts, false, err
			}
			opts.MaxSize = int64(n)
		}
		if listens := l.Scopes("listen"); len(listens) > 0 {
			opts.Addr = listens[0].Name
		}
		cert, certSet := config.HTTPTLSCertificate.In(l)
		key, keySet := config.HTTPTLSKey.In(l)
		if certSet != keySet {
			return opts, false, fmt.Errorf("%s: HTTP_Listener needs both TLS_Certificate and TLS_Key for HTTPS", l.Pos)
		}
		opts.CertFile, opts.KeyFile = cert.String(), key.String()
	}
	servers := root.Scopes("mm7_serv")
	if len(servers) == 0 {
		return opts, false, nil
	}
	if len(servers) > 1 {
		return opts, true, fmt.Errorf("%s: mm7_serv is a singleton; the first is at %s", servers[1].Pos, servers[0].Pos)
	}
	n := servers[0]
	str := func(o *config.OptionSpec) (string, error) {
		v, ok := o.In(n)
		if ok && v.Kind() != config.Scalar {
			return "", fmt.Errorf("%s: %s must be a single value", v.Pos(), o.Name)
		}
		return v.String(), nil
	}
	paths, _ := config.MM7VASPURIPaths.In(n)
	for _, p := range paths.List() {
		if !strings.HasPrefix(p, "/") {
			return opts, true, fmt.Errorf("%s: %s entry %q must start with /", paths.Pos(), config.MM7VASPURIPaths.Name, p)
		}
		opts.Paths = append(opts.Paths, p)
	}
	for _, f := range []struct {
		o   *config.OptionSpec
		dst *string
	}{
		{config.MM7ServerVersion, &opts.Version}, {config.MM7ServerFromAddr, &opts.FromAddress},
		{config.MM7ServerFromDomain, &opts.FromDomain}, {config.MM7ServerToAddr, &opts.ToAddress},
		{config.MM7ServerToDomain, &opts.ToDomain},
	} {
		if *f.dst, err = str(f.o); err != nil {
			return opts, true, err
		}
	}
	auth, err := str(config.MM7ServerBasicAuth)
	if err != nil {
		return opts, true, err
	}
	if auth != "" {
		v, _ := config.MM7ServerBasicAuth.In(n)
		u, p, ok := strings.Cut(auth, ":")
		if !ok || u == "" {
			// An empty user would turn the check off: a typo must not
			// open the receiver.
			return opts, true, fmt.Errorf("%s: %s must be \"user:password\" with a user", v.Pos(), config.MM7ServerBasicAuth.Name)
		}
		opts.User, opts.Password = u, p
	}
	if v, ok := config.MM7ServerAllowUnauthenticated.In(n); ok {
		if opts.AllowUnauthenticated, err = v.Bool(); err != nil {
			return opts, true, err
		}
	}
	return opts, true, nil
}
