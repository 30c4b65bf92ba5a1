package mm7server

import (
	"time"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// The daemon's MM7 receiver listens when the config has an mm7_serv scope
// (Momentum's module stanza), on HTTP_Listener's address, loopback by
// default. Delivery reports run through the process's retry core and
// mobile-originated MMs go to its spool. A scenario has one only when it
// asks for the mmsc peer: on a free loopback port, where the scenario's
// simulator reports; given an MMSC outside the process instead, on the
// configured address, where that MMSC can be told to report.
func init() {
	process.RegisterCheck("mm7 receiver", func(cfg *config.Config, _ *process.Process) error {
		_, _, err := OptionsFrom(cfg)
		return err
	})
	process.Register("mm7 receiver", process.StageListener, func(p *process.Process) ([]process.Component, error) {
		ext, wanted := p.Peer("mmsc")
		if !wanted {
			return nil, nil
		}
		opts, configured, err := OptionsFrom(p.Config())
		if err != nil {
			return nil, err
		}
		switch {
		case p.Mode() == process.Daemon && !configured:
			return nil, nil
		case p.Mode() == process.Scenario && ext == "":
			opts.Addr = "127.0.0.1:0"
		}
		opts.Core, opts.Injector, opts.Log = p.Retry, p, p.Logger()
		// The bucket option is read per report, as the channel reads it
		// per message: a reload applies to both at once.
		opts.UseShortcode = func() bool {
			b, err := config.MM7MstoreBucketUseShortcode.Bool(p.Config(), config.Scope{})
			return err != nil || b
		}
		opts.WorkTimeout = workTimeout(p)
		return []process.Component{New(opts)}, nil
	})
}

// workTimeout bounds a request's work by what it may wait for: the park
// timeout (twice: finding the message, then its receipt), the receipt
// hook and a store-submit hook of an MO message's injection (each bounded
// by the scripts' call_timeout), and time for the store and the spool.
func workTimeout(p *process.Process) time.Duration {
	park := p.Retry.ParkTimeout
	if park <= 0 {
		park = 5 * time.Second
	}
	call := p.Config().Scriptlet().CallTimeout
	if call <= 0 {
		call = 5 * time.Second
	}
	return 2*park + 2*call + 30*time.Second
}
