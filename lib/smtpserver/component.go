package smtpserver

import (
	"errors"

	"msyshost/lib/config"
	"msyshost/lib/dsn"
	"msyshost/lib/process"
	"msyshost/lib/route"
)

// SMTP in listens when the config has an ESMTP_Listener scope, and queues
// to the spool of the queue stage.
func init() {
	process.RegisterCheck("smtp in", func(cfg *config.Config, _ *process.Process) error {
		_, err := ListensOf(cfg)
		return err
	})
	process.Register("smtp in", process.StageListener, func(p *process.Process) ([]process.Component, error) {
		if p.Mode() != process.Daemon {
			return nil, nil
		}
		listens, err := ListensOf(p.Config())
		if err != nil || len(listens) == 0 {
			return nil, err
		}
		var q *route.QueueStage
		for _, c := range p.Components() {
			if qs, ok := c.(*route.QueueStage); ok {
				q = qs
			}
		}
		if q == nil {
			return nil, errors.New("smtp in: no spool to queue to")
		}
		return []process.Component{New(Options{
			Listens: listens, Queue: q.Spool, Bouncer: q.Bouncer,
			Hostname: dsn.Hostname(p.Config()), Logger: p.Logger(),
		})}, nil
	})
}
