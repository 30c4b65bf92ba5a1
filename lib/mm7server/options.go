package mm7server

import (
	"fmt"
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
)

// The receiver's config, as Momentum's mm7_serv module and HTTP_Listener
// take it ("The mm7_serv Module", "HTTP_Listener"):
//
//	HTTP_Listener { Listen "127.0.0.1:8089" { } }
//	mm7_serv {
//	  mm7_vasp_uri_paths = ( "/mm7/" )
//	  mm7_server_version = "6.8.0"
//	  mm7_server_default_email_from_domain = "mms.example.com"
//	  mm7_server_default_email_to_address = "inbox@example.com"
//	}
const (
	ScopeServer   = "mm7_serv"
	ScopeListener = "http_listener"
	ScopeListen   = "listen"

	OptURIPaths        = "mm7_vasp_uri_paths"
	OptServerVersion   = "mm7_server_version"
	OptDefaultFromAddr = "mm7_server_default_email_from_address"
	OptDefaultFromDom  = "mm7_server_default_email_from_domain"
	OptDefaultToAddr   = "mm7_server_default_email_to_address"
	OptDefaultToDom    = "mm7_server_default_email_to_domain"
	OptMaxRequestSize  = "max_request_size" // HTTP_Listener's Max_Request_Size
	// OptBasicAuth ("user:password") is msyshost's own: Momentum
	// authenticates HTTP listeners through its ecauth back end
	// (enable_authentication, AuthPlainParameters), which msyshost does not
	// carry.
	OptBasicAuth = "mm7_server_basic_auth"
)

// Defaults: loopback only until the config says otherwise.
const (
	DefaultAddr    = "127.0.0.1:8089"
	DefaultPath    = "/mm7/"
	DefaultMaxSize = 4 << 20
)

// OptionsFrom reads the receiver's options from cfg; Core, Injector and
// Log are for the caller to fill. ok is false when cfg has no mm7_serv
// scope: no receiver is configured.
func OptionsFrom(cfg *config.Config) (opts Options, ok bool, err error) {
	root := cfg.Root()
	servers := root.Scopes(ScopeServer)
	if len(servers) == 0 {
		return opts, false, nil
	}
	if len(servers) > 1 {
		return opts, true, fmt.Errorf("%s: mm7_serv is a singleton; the first is at %s", servers[1].Pos, servers[0].Pos)
	}
	n := servers[0]
	str := func(name string) (string, error) {
		o, ok := n.Get(name)
		if !ok {
			return "", nil
		}
		if o.Value.Kind() != config.Scalar {
			return "", fmt.Errorf("%s: %s must be a single value", o.Pos, name)
		}
		return o.Value.String(), nil
	}
	if o, ok := n.Get(OptURIPaths); ok {
		for _, p := range o.Value.List() {
			if !strings.HasPrefix(p, "/") {
				return opts, true, fmt.Errorf("%s: %s entry %q must start with /", o.Pos, OptURIPaths, p)
			}
			opts.Paths = append(opts.Paths, p)
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{OptServerVersion, &opts.Version}, {OptDefaultFromAddr, &opts.FromAddress}, {OptDefaultFromDom, &opts.FromDomain},
		{OptDefaultToAddr, &opts.ToAddress}, {OptDefaultToDom, &opts.ToDomain},
	} {
		if *f.dst, err = str(f.name); err != nil {
			return opts, true, err
		}
	}
	auth, err := str(OptBasicAuth)
	if err != nil {
		return opts, true, err
	}
	if auth != "" {
		u, p, ok := strings.Cut(auth, ":")
		if !ok {
			return opts, true, fmt.Errorf("%s must be \"user:password\"", OptBasicAuth)
		}
		opts.User, opts.Password = u, p
	}
	if ls := root.Scopes(ScopeListener); len(ls) > 0 {
		if o, ok := ls[0].Get(OptMaxRequestSize); ok {
			n, err := o.Value.Int()
			if err != nil {
				return opts, true, err
			}
			opts.MaxSize = int64(n)
		}
		if listens := ls[0].Scopes(ScopeListen); len(listens) > 0 {
			opts.Addr = listens[0].Name
		}
	}
	if opts.Version == "" {
		opts.Version = mm7.DefaultVersion
	}
	return opts, true, nil
}
