package conformance

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"msyshost/lib/mm7server"
	"msyshost/lib/mmsc"
)

// A scenario's peers are the simulators it runs against instead of
// recorders (SPEC: a scenario swaps the network peers). With peers: [mmsc]
// the MMSC simulator listens on a free loopback port; the process's MM7
// channel submits to it whatever the config's routes say, and its MM7
// receiver, also on a free loopback port, takes the simulator's reports.
// The simulator posts a report only when a receipt step asks, so each step
// still sees exactly what it caused.

// receiverURL is where the scenario's simulator posts: the process's MM7
// receiver once it listens.
type receiverURL struct{ url atomic.Pointer[string] }

func (u *receiverURL) get() string {
	if p := u.url.Load(); p != nil {
		return *p
	}
	return ""
}

// startPeers starts the simulators the scenario asks for and returns their
// addresses for process.Options.Peers.
func (r *run) startPeers(ctx context.Context, log *slog.Logger) (map[string]string, error) {
	addrs := map[string]string{}
	for _, name := range r.s.Peers {
		switch name {
		case "mmsc":
			r.receiver = &receiverURL{}
			r.mmsc = mmsc.New(mmsc.Options{Manual: true, ReportTo: r.receiver.get}, log)
			if err := r.mmsc.Start(ctx); err != nil {
				return nil, err
			}
			addrs[name] = r.mmsc.URL()
		}
	}
	return addrs, nil
}

// connectPeers points the simulators at the listeners the process built
// for them.
func (r *run) connectPeers() error {
	if r.mmsc == nil {
		return nil
	}
	for _, c := range r.p.Components() {
		if s, ok := c.(*mm7server.Server); ok {
			u := s.URL()
			r.receiver.url.Store(&u)
			return nil
		}
	}
	return errors.New("peers: mmsc: the process built no MM7 receiver (is lib/mm7server linked in?)")
}
