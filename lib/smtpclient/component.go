package smtpclient

import (
	"fmt"
	"os"
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// SMTP out is the daemon's smtp channel: every domain whose
// delivery_method names no other goes here.
func init() {
	process.RegisterCheck("smtp out", func(cfg *config.Config, _ *process.Process) error { return CheckConfig(cfg) })
	process.Register("smtp out", process.StageChannel, func(p *process.Process) ([]process.Component, error) {
		if p.Mode() != process.Daemon {
			return nil, nil
		}
		smarthost := os.Getenv(SmarthostEnv)
		if smarthost != "" {
			if _, err := parseHostPort(smarthost, 25); err != nil {
				return nil, fmt.Errorf("%s=%q: %w", SmarthostEnv, smarthost, err)
			}
		}
		if err := CheckConfig(p.Config()); err != nil {
			return nil, err
		}
		c := New(Options{Config: p.Config, Smarthost: smarthost, Logger: p.Logger(), Listeners: p.Listeners})
		p.AddChannel("smtp", c)
		return []process.Component{c}, nil
	})
}

// CheckConfig reports the first Routes, Gateway or TLS_CA in any scope
// that SMTP out could not use, with where it was set. Routes of a domain
// whose delivery_method names another channel are that channel's (an MM7
// domain's routes name its MMSC).
func CheckConfig(cfg *config.Config) error {
	var walk func(n *config.Node) error
	walk = func(n *config.Node) error {
		for _, o := range n.Options {
			var err error
			switch strings.ToLower(o.Name) {
			case OptRoutes:
				if !smtpDomain(cfg, n) {
					continue
				}
				for _, item := range o.Value.List() {
					if _, err = parseRoute(item, "example.com", 25); err != nil {
						break
					}
				}
			case OptGateway:
				_, err = parseHostPort(o.Value.String(), 25)
			case OptTLSCA:
				if _, rerr := os.ReadFile(o.Value.String()); rerr != nil {
					err = rerr
				}
			}
			if err != nil {
				return &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("%s: %v", o.Name, err)}
			}
		}
		for _, c := range n.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(cfg.Root())
}

// smtpDomain reports whether n is not a named domain, or one whose
// delivery_method leaves it to SMTP out.
func smtpDomain(cfg *config.Config, n *config.Node) bool {
	if !strings.EqualFold(n.Kind, config.DomainScope) || !n.Named || n.Regex() != nil {
		return true
	}
	v, ok := cfg.Eval(config.Scope{Domain: n.Name}, "delivery_method")
	if !ok {
		return true
	}
	switch strings.ToLower(v.String()) {
	case "esmtp", "smtp":
		return true
	}
	return false
}
