package route

import (
	"context"
	"path/filepath"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/dsn"
	"msyshost/lib/process"
	"msyshost/lib/spool"
)

// SpoolFile is the spool's file in the data directory.
const SpoolFile = "spool.db"

// The daemon's queue stage: the spool in the data directory, delivering
// through a router over the channels the channel stage added, its bounces
// rendered by lib/dsn. It takes every injection and bounce of the process
// (msg:inject, msys.mstore.inject, mstore reinstate, the retry core) and
// adds the queue commands to the console. Scenarios keep their recording
// outbox: nothing is built outside the daemon.
func init() {
	process.RegisterCheck("spool and routes", func(cfg *config.Config, p *process.Process) error {
		if err := spool.CheckConfig(cfg); err != nil {
			return err
		}
		// Checked alone, a method needs only to be one msyshost carries;
		// at a reload, also one whose channel runs.
		return Check(cfg, func(name string) bool {
			if p == nil {
				return true
			}
			_, ok := p.Channel(name)
			return ok || name == SMTP && p.Mode() != process.Daemon
		})
	})
	process.Register("spool", process.StageQueue, func(p *process.Process) ([]process.Component, error) {
		if p.Mode() != process.Daemon {
			return nil, nil
		}
		if err := spool.CheckConfig(p.Config()); err != nil {
			return nil, err
		}
		channels := map[string]channel.Channel{}
		for _, name := range []string{SMTP, SMPP, MM7} {
			if ch, ok := p.Channel(name); ok {
				channels[name] = ch
			}
		}
		r, err := New(p.Config, channels)
		if err != nil {
			return nil, err
		}
		b := &dsn.Bouncer{Config: p.Config, Now: p.Now, Logger: p.Logger()}
		sp, err := spool.Open(filepath.Join(p.DataDir(), SpoolFile), spool.Options{
			Router: r, Bouncer: b, Config: p.Config, Now: p.Now, Logger: p.Logger(),
		})
		if err != nil {
			return nil, err
		}
		b.Injector = sp
		p.SetSpool(sp, b)
		p.Console.AddQueue(sp)
		return []process.Component{&QueueStage{Spool: sp, Bouncer: b}}, nil
	})
}

// QueueStage is the queue stage as a component; SMTP in finds the spool
// it queues to here.
type QueueStage struct {
	Spool   *spool.Spool
	Bouncer *dsn.Bouncer
}

func (q *QueueStage) Name() string                    { return "spool" }
func (q *QueueStage) Start(ctx context.Context) error { return q.Spool.Start(ctx) }

var _ process.Closer = (*QueueStage)(nil)

// Close releases the spool of a queue stage that never started.
func (q *QueueStage) Close() error { return q.Spool.Close() }

// Stop lets deliveries under way finish within ctx and closes the file.
func (q *QueueStage) Stop(ctx context.Context) error {
	q.Spool.Stop(ctx)
	return q.Spool.Close()
}
