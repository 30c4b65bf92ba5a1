package process

import (
	"context"
	"fmt"
	"sync"
)

// Component is a part of the process that owns goroutines, listeners or
// connections: the control socket, the script watcher, SMTP in, a channel's
// binds, a simulator. Start returns once the component serves (a listener
// is bound) or fails; Stop stops accepting, lets work in flight finish
// within ctx and releases what Start took.
type Component interface {
	Name() string
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Closer is a component that takes resources when it is built (a file it
// opens in its factory): when the process is abandoned before the
// component starts, Close releases them. A started component releases
// them in Stop.
type Closer interface {
	Close() error
}

// Listener is a component that accepts connections; its addresses go in
// the start log line.
type Listener interface {
	Listeners() []string
}

// Factory builds a package's components for p. It returns none when p's
// config or mode does not ask for them, and an error naming the config
// position when the config is wrong. Factories run in Stage order, then in
// the order they were registered.
type Factory func(p *Process) ([]Component, error)

// Stage orders factories: a component may use what an earlier stage set up.
type Stage int

const (
	// StagePeer builds the simulators the config starts with the daemon
	// (SMSC_Simulator, MMSC_Simulator): they listen before the channels
	// that bind to them start, and in a scenario they publish the
	// loopback address they got with p.SetPeerAddr.
	StagePeer Stage = iota + 1
	// StageChannel builds delivery channels (SMTP out, SMPP, MM7) and
	// adds them with p.AddChannel.
	StageChannel
	// StageQueue builds the spool, which routes to the channels and
	// installs itself with p.SetSpool.
	StageQueue
	// StageListener builds what accepts work from outside (SMTP in, MM7
	// delivery reports, the control socket): by now everything they hand
	// work to exists.
	StageListener
)

type factory struct {
	name  string
	stage Stage
	fn    Factory
}

var (
	factoriesMu sync.Mutex
	factories   []factory
)

// Register adds a component factory under a unique name; packages call it
// from init(). A duplicate name panics.
func Register(name string, stage Stage, f Factory) {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	for _, have := range factories {
		if have.name == name {
			panic(fmt.Sprintf("process: component factory %q registered twice", name))
		}
	}
	factories = append(factories, factory{name, stage, f})
}

func registered() []factory {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	out := append([]factory(nil), factories...)
	// Stable: registration order within a stage.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].stage < out[j-1].stage; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
