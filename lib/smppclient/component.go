package smppclient

import (
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
