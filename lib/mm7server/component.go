package mm7server

import (
	"msyshost/lib/process"
)

// The daemon's MM7 receiver listens when the config has an mm7_serv scope
// (Momentum's module stanza), on HTTP_Listener's address, loopback by
// default. Delivery reports run through the process's retry core and
// mobile-originated MMs go to its spool. A scenario gets one only when it
// started an MMSC simulator as its peer, on a free loopback port the
// scenario's simulator posts to.
func init() {
	process.Register("mm7 in", process.StageListener, func(p *process.Process) ([]process.Component, error) {
		opts, configured, err := OptionsFrom(p.Config())
		if err != nil {
			return nil, err
		}
		_, peer := p.Peer("mmsc")
		switch {
		case peer:
			opts.Addr = "127.0.0.1:0"
		case p.Mode() != process.Daemon || !configured:
			return nil, nil
		}
		opts.Core, opts.Injector, opts.Log = p.Retry, p, p.Logger()
		return []process.Component{New(opts)}, nil
	})
}
