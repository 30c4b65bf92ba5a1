package smtpserver

import (
	"errors"
	"sync"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/process"
	"msyshost/lib/route"
)

var (
	policyMu      sync.Mutex
	policyFactory func(p *process.Process) (Policy, error)
)

// SetPolicy installs what builds the policy SMTP in asks at every phase
// (lib/reception: the scripts' validate_* hooks); packages call it from
// init(). A second one panics. Without one SMTP in accepts everything.
func SetPolicy(f func(p *process.Process) (Policy, error)) {
	policyMu.Lock()
	defer policyMu.Unlock()
	if policyFactory != nil {
		panic("smtpserver: a policy factory is installed twice")
	}
	policyFactory = f
}

func policyOf(p *process.Process) (Policy, error) {
	policyMu.Lock()
	f := policyFactory
	policyMu.Unlock()
	if f == nil {
		return nil, nil
	}
	return f(p)
}

// SMTP in listens when the config has an ESMTP_Listener scope, and queues
// to the spool of the queue stage. In a scenario it has one in-process
// listener (the config's first Listen's settings, or the defaults) and
// queues to a Recorder, for `smtp:` steps.
func init() {
	process.RegisterCheck("smtp in", func(cfg *config.Config, _ *process.Process) error {
		_, err := ListensOf(cfg)
		return err
	})
	process.Register("smtp in", process.StageListener, func(p *process.Process) ([]process.Component, error) {
		listens, err := ListensOf(p.Config())
		if err != nil {
			return nil, err
		}
		if p.Mode() != process.Daemon {
			return inProcess(p, listens)
		}
		if len(listens) == 0 {
			return nil, nil
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
		pol, err := policyOf(p)
		if err != nil {
			return nil, err
		}
		return []process.Component{New(Options{
			Listens: listens, Queue: q.Spool, Bouncer: q.Bouncer, Policy: pol,
			Hostname: config.Hostname(p.Config(), ""), Logger: p.Logger(),
		})}, nil
	})
}

func inProcess(p *process.Process, listens []Listen) ([]process.Component, error) {
	var l Listen
	if len(listens) > 0 {
		l = listens[0]
	} else {
		var err error
		if l, _, err = readListen(p.Config(), &config.Node{Kind: "ESMTP_Listener"}, &config.Node{Kind: "Listen", Name: DefaultAddr, Named: true}); err != nil {
			return nil, err
		}
	}
	pol, err := policyOf(p)
	if err != nil {
		return nil, err
	}
	return []process.Component{New(Options{
		InProcess: &l, Queue: &Recorder{}, Bouncer: p, Policy: pol,
		Hostname: config.Hostname(p.Config(), ""), Logger: p.Logger(),
	})}, nil
}

// Queued returns what the server queued since the last call, when it
// queues to a Recorder (a scenario); nil otherwise.
func (s *Server) Queued() []*message.Message {
	if r, ok := s.opts.Queue.(*Recorder); ok {
		return r.Take()
	}
	return nil
}
