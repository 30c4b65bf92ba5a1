package process

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"msyshost/lib/config"
	"msyshost/lib/console"
)

// The control listener serves the console on Unix sockets: the paths of
// `Control_Listener { Listen "path" { } }`, or control.sock in the data
// directory.
func init() {
	Register("control listener", StageListener, func(p *Process) ([]Component, error) {
		if p.Mode() != Daemon {
			return nil, nil
		}
		paths, err := controlPaths(p.Config(), p.DataDir())
		if err != nil {
			return nil, err
		}
		return []Component{&controlListener{p: p, paths: paths}}, nil
	})
}

func controlPaths(cfg *config.Config, dataDir string) ([]string, error) {
	var paths []string
	for _, cl := range cfg.Root().Scopes("Control_Listener") {
		for _, l := range cl.Scopes("Listen") {
			if !strings.Contains(l.Name, "/") && strings.Contains(l.Name, ":") {
				return nil, fmt.Errorf("%s: Listen %q: the console listens on Unix sockets only; give a path such as \"data/control.sock\"", l.Pos, l.Name)
			}
			paths = append(paths, l.Name)
		}
	}
	if len(paths) == 0 {
		paths = []string{filepath.Join(dataDir, "control.sock")}
	}
	return paths, nil
}

type controlListener struct {
	p     *Process
	paths []string
	srv   *console.Server
	ls    []net.Listener
}

func (c *controlListener) Name() string        { return "control listener" }
func (c *controlListener) Listeners() []string { return c.paths }

func (c *controlListener) Start(context.Context) error {
	c.srv = &console.Server{Console: c.p.Console, Log: c.p.log}
	for _, path := range c.paths {
		l, err := console.Listen(path)
		if err != nil {
			for _, l := range c.ls {
				l.Close()
			}
			return err
		}
		c.ls = append(c.ls, l)
		go c.srv.Serve(l)
	}
	return nil
}

func (c *controlListener) Stop(ctx context.Context) error {
	for _, l := range c.ls {
		l.Close()
	}
	return c.srv.Shutdown(ctx)
}
