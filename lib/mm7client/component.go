package mm7client

import (
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// The daemon's MM7 channel: the router hands it the messages of domains
// whose delivery_method is mm7. The daemon always has it (it opens no
// connection until a message comes), so a config reload may route a new
// domain to an MMSC without a restart. A scenario has it only when it asks
// for the mmsc peer; its connections then go where the process points the
// configured MMSC (the simulator on a free port, or an MMSC outside).
func init() {
	process.RegisterCheck("mm7 channel", func(cfg *config.Config, _ *process.Process) error { return CheckConfig(cfg) })
	process.Register("mm7 channel", process.StageChannel, func(p *process.Process) ([]process.Component, error) {
		if _, wanted := p.Peer("mmsc"); !wanted {
			return nil, nil
		}
		ch := New(p.Config, p.Retry, p.Logger())
		ch.Client.Redirect = p.PeerAddr
		idle, err := config.MM7HTTPMaxIdle.Int(p.Config(), config.Scope{})
		if err != nil {
			return nil, err
		}
		ch.Client.MaxIdlePerHost = idle
		p.AddChannel("mm7", ch)
		return []process.Component{ch}, nil
	})
}

// CheckConfig reads the settings of every named Domain scope whose
// delivery_method is mm7, so a missing route, a bad schema or a malformed
// option stops the start with where it was set, not the first message.
func CheckConfig(cfg *config.Config) error {
	for _, d := range cfg.Root().Scopes("domain") {
		if !d.Named || d.Regex() != nil {
			continue
		}
		scope := config.Scope{Domain: d.Name}
		if v, ok := cfg.Eval(scope, "delivery_method"); !ok || !strings.EqualFold(v.String(), "mm7") {
			continue
		}
		if _, err := SettingsFor(cfg, scope); err != nil {
			return &config.Error{Pos: d.Pos, Msg: "Domain \"" + d.Name + "\" (delivery_method mm7): " + err.Error()}
		}
	}
	return nil
}
