package mmsc

import (
	"fmt"

	"msyshost/lib/mm7server"
	"msyshost/lib/process"
)

// A daemon whose config has an MMSC_Simulator scope starts the simulator
// with its channels, so the MMS flow runs with nothing else installed.
// Without report_url it posts its reports to the daemon's own MM7 receiver
// (mm7_serv), with the receiver's credentials. Scenarios start their own
// simulators as peers; the scope is not read there.
func init() {
	process.Register("mmsc simulator", process.StageChannel, func(p *process.Process) ([]process.Component, error) {
		if p.Mode() != process.Daemon {
			return nil, nil
		}
		cfg := p.Config()
		var out []process.Component
		for _, n := range cfg.Root().Scopes(ScopeKind) {
			o, err := OptionsFrom(n)
			if err != nil {
				return nil, err
			}
			if o.ReportURL == "" {
				srv, configured, err := mm7server.OptionsFrom(cfg)
				if err != nil {
					return nil, err
				}
				if !configured {
					return nil, fmt.Errorf("%s: %s posts its delivery reports to the daemon's MM7 receiver, and the config has none: add mm7_serv { } or set report_url", n.Pos, ScopeKind)
				}
				if o.ReportUser == "" {
					o.ReportUser, o.ReportPassword = srv.User, srv.Password
				}
				o.ReportTo = func() string { return receiverURL(p) }
			}
			out = append(out, New(o, p.Logger().With("component", "mmsc simulator")))
		}
		return out, nil
	})
}

// receiverURL is the URL of the process's MM7 receiver once it listens.
func receiverURL(p *process.Process) string {
	for _, c := range p.Components() {
		if s, ok := c.(*mm7server.Server); ok {
			return s.URL()
		}
	}
	return ""
}

// Listeners names the simulator in the daemon's start line.
func (s *MMSC) Listeners() []string { return []string{s.URL()} }
