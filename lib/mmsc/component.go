package mmsc

import (
	"context"
	"fmt"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// A daemon whose config has MMSC_Simulator scopes starts the simulators
// before its channels, so the MMS flow runs with nothing else installed.
// Without report_url a simulator posts its reports to the daemon's own MM7
// receiver (mm7_serv), with the receiver's credentials. A scenario starts
// them only when it asks for the mmsc peer, each on a free loopback port
// the MM7 channel is pointed at instead of the configured one, reporting
// to the scenario's receiver; given an MMSC outside the process instead,
// it starts none and points the channel there.
func init() {
	process.RegisterCheck("mmsc simulator", func(cfg *config.Config, _ *process.Process) error {
		_, err := simulators(cfg)
		return err
	})
	process.Register("mmsc simulator", process.StagePeer, func(p *process.Process) ([]process.Component, error) {
		ext, wanted := p.Peer("mmsc")
		if !wanted {
			return nil, nil
		}
		cfg := p.Config()
		sims, err := simulators(cfg)
		if err != nil {
			return nil, err
		}
		if p.Mode() == process.Scenario && len(sims) == 0 {
			return nil, fmt.Errorf("peers: mmsc: the config has no %s scope for the scenario's MM7 domains to submit to", ScopeKind)
		}
		var out []process.Component
		for _, sim := range sims {
			o, n := sim.opts, sim.node
			if p.Mode() == process.Scenario {
				if ext != "" {
					p.SetPeerAddr(o.Addr, ext)
					continue
				}
				// A scenario's simulator reports to the scenario's
				// receiver, which listens on a free port too.
				o.ReportURL = ""
			}
			if o.ReportURL == "" {
				if len(cfg.Root().Scopes("mm7_serv")) == 0 && p.Mode() == process.Daemon {
					return nil, fmt.Errorf("%s: %s posts its delivery reports to the daemon's MM7 receiver, and the config has none: add mm7_serv { } or set report_url", n.Pos, ScopeKind)
				}
				o.ReportTo = func() (string, string, string) { return receiver(p) }
			}
			log := p.Logger().With("mmsc", o.Addr)
			if p.Mode() == process.Daemon {
				out = append(out, New(o, log))
				continue
			}
			configured := o.Addr
			o.Addr = "127.0.0.1:0"
			out = append(out, &scenarioSim{MMSC: New(o, log), p: p, configured: configured})
		}
		return out, nil
	})
}

type simulator struct {
	opts Options
	node *config.Node
}

// simulators reads every MMSC_Simulator scope of cfg; two on one address
// are an error naming both.
func simulators(cfg *config.Config) ([]simulator, error) {
	var out []simulator
	seen := map[string]config.Pos{}
	for _, n := range cfg.Root().Scopes(ScopeKind) {
		o, err := OptionsFrom(n)
		if err != nil {
			return nil, err
		}
		if at, dup := seen[o.Addr]; dup {
			return nil, &config.Error{Pos: n.Pos, Msg: fmt.Sprintf("%s listens on %s, as the one at %s does", ScopeKind, o.Addr, at)}
		}
		seen[o.Addr] = n.Pos
		out = append(out, simulator{o, n})
	}
	return out, nil
}

// scenarioSim is a scenario's simulator: it listens on a free port and
// points connections meant for its configured address there.
type scenarioSim struct {
	*MMSC
	p          *process.Process
	configured string
}

func (s *scenarioSim) Start(ctx context.Context) error {
	if err := s.MMSC.Start(ctx); err != nil {
		return err
	}
	s.p.SetPeerAddr(s.configured, s.Addr())
	return nil
}

// Receiver is what a simulator needs of the process's MM7 receiver (lib/
// mm7server's Server): where it listens and the credentials it wants.
type Receiver interface {
	URL() string
	Credentials() (user, password string)
}

// receiver is the URL and credentials of the process's MM7 receiver once
// it listens; "" before.
func receiver(p *process.Process) (url, user, password string) {
	for _, c := range p.Components() {
		if r, ok := c.(Receiver); ok {
			user, password = r.Credentials()
			return r.URL(), user, password
		}
	}
	return "", "", ""
}

// Listeners names the simulator in the daemon's start line.
func (s *MMSC) Listeners() []string { return []string{s.URL()} }
