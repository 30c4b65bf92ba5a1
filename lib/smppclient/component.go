package smppclient

import (
	"fmt"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// The daemon's smpp channel: a client (its binds) per domain whose
// delivery_method is smpp or that names an SMSC, receipts handed to the
// process's retry core, `smpp status` on the console. Bind settings are
// read at start (a change needs a restart); what each message and receipt
// reads (addresses, registered_delivery, id formats, coding) follows the
// config in force. A scenario builds it only when it asks for the smsc
// peer; its binds then connect where the process points them.
func init() {
	process.RegisterCheck("smpp channel", check)
	process.Register("smpp channel", process.StageChannel, func(p *process.Process) ([]process.Component, error) {
		if _, wanted := p.Peer("smsc"); !wanted {
			return nil, nil
		}
		cfg := p.Config()
		ch, err := newChannel(p.Config, p.PeerAddr, p.Retry, Domains(cfg), p.Logger())
		if err != nil {
			return nil, err
		}
		p.AddChannel("smpp", ch)
		ch.AddConsole(p.Console)
		return []process.Component{ch}, nil
	})
}

// check reads every SMPP domain's options as the channel would, so a
// config with a bad one does not start and a reload with one changes
// nothing. At a reload (p set) it also says which domains' binds changed:
// those apply at the next start.
func check(cfg *config.Config, p *process.Process) error {
	var errs config.Problems
	for _, d := range Domains(cfg) {
		set, err := FromConfig(cfg, d)
		if err == nil {
			_, err = domainSubmit(cfg, d)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p == nil {
			continue
		}
		running, ok := p.Channel("smpp")
		if !ok {
			continue
		}
		c := running.(*Channel).Client(d)
		switch {
		case c == nil:
			p.Logger().Warn("config reload: SMPP domain added; its binds open at the next start (its mail waits in the spool)", "domain", d)
		case bindKey(c.Settings()) != bindKey(set):
			p.Logger().Warn("config reload: the SMPP binds of a domain changed; they apply at the next start", "domain", d)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// bindKey renders what a client's binds are opened with, to compare.
func bindKey(s Settings) string {
	s.defaults()
	tls := s.TLS != nil
	s.TLS, s.Resolve = nil, nil
	return fmt.Sprintf("%+v tls=%v", s, tls)
}
