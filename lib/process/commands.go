package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"msyshost/lib/console"
	"msyshost/lib/hook"
	"msyshost/lib/retry"
	"msyshost/luahost"
)

// addConsoleCommands registers the commands the process itself answers.
func (p *Process) addConsoleCommands() {
	c := p.Console
	c.SetDynamic(scriptControls{p})
	c.AddMstore(p.Store, p, retry.MessageOf)
	c.Add(console.Command{
		Name: "config reload", Usage: "config reload",
		Help: "read the config file and every script again; on any error nothing changes",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) != 0 {
				return "", errors.New("usage: config reload")
			}
			return p.ReloadConfig(ctx)
		},
	})
	c.Add(console.Command{
		Name: "scriptlet status", Usage: "scriptlet status",
		Help: "each script: its file, the generation serving it, when that was loaded, and its last error",
		Run: func(_ context.Context, args []string) (string, error) {
			if len(args) != 0 {
				return "", errors.New("usage: scriptlet status")
			}
			return p.statusText(), nil
		},
	})
	c.Add(console.Command{
		Name: "scriptlet call", Usage: "scriptlet call HOOK [ARG...]",
		Help: "call a hook as the host would, with string arguments (e.g. scriptlet call smpp_handle_DR_positive MADR-12345 abc), and show each module's answer",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) == 0 {
				return "", errors.New("usage: scriptlet call HOOK [ARG...]")
			}
			hookArgs := make([]any, len(args)-1)
			for i, a := range args[1:] {
				hookArgs[i] = a
			}
			res := p.Host.Call(ctx, args[0], hookArgs...)
			var b strings.Builder
			if len(res.Calls) == 0 {
				// A hook nobody defines is an answer; a name that is no
				// hook at all is most likely a typo, and fails the command
				// (exit 1 in batch mode).
				if _, known := hook.Lookup(args[0]); !known {
					if near := hook.Suggest(args[0]); near != "" {
						return "", fmt.Errorf("no module defines %s; did you mean %s?", args[0], near)
					}
					return "", fmt.Errorf("no module defines %s (not a hook Momentum documents)", args[0])
				}
				fmt.Fprintf(&b, "no module defines %s\n", args[0])
			}
			failed := false
			for _, c := range res.Calls {
				if c.Err != "" {
					failed = true
					fmt.Fprintf(&b, "%s: error: %s\n", c.Module, c.Err)
				} else {
					fmt.Fprintf(&b, "%s: returned %s%s\n", c.Module, c.Returned.String(), codeName(args[0], c.Returned.String()))
				}
			}
			fmt.Fprintf(&b, "decision: %d%s (generation %d)\n", res.Code, codeName(args[0], fmt.Sprint(res.Code)), p.Host.Generation())
			if failed {
				// The whole answer, as the error: a script calling the
				// console sees the hook failed (exit 1 in batch mode).
				return "", errors.New(strings.TrimSuffix(b.String(), "\n"))
			}
			return b.String(), nil
		},
	})
	c.Add(console.Command{
		Name: "version", Usage: "version", Help: "the msyshost version",
		Run: func(context.Context, []string) (string, error) {
			v := p.opts.Version
			if v == "" {
				v = "dev"
			}
			return "msyshost " + v + "\n", nil
		},
	})
	if p.opts.Shutdown != nil {
		c.Add(console.Command{
			Name: "shutdown", Usage: "shutdown",
			Help: "stop the daemon: stop accepting, let work in flight finish, close the store",
			Run: func(_ context.Context, args []string) (string, error) {
				if len(args) != 0 {
					return "", errors.New("usage: shutdown")
				}
				p.opts.Shutdown()
				return "Shutting down\n", nil
			},
		})
	}
}

func (p *Process) statusText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generation %d serving\n", p.Host.Generation())
	for _, s := range p.ScriptStatus() {
		fmt.Fprintf(&b, "%s: %s\n", s.Name, s.File)
		if _, err := os.Stat(s.File); err != nil {
			fmt.Fprintf(&b, "  file missing (%v): its last good code serves until the config drops it\n", err)
		}
		if s.Generation == 0 {
			b.WriteString("  not loaded\n")
		} else {
			fmt.Fprintf(&b, "  generation %d, loaded at %s\n", s.Generation, s.LoadedAt.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		if s.Err != "" {
			fmt.Fprintf(&b, "  last error at %s: %s\n", s.ErrAt.UTC().Format("2006-01-02T15:04:05.000Z"), s.Err)
		}
	}
	return b.String()
}

// scriptControls are the console commands the serving generation's
// scripts registered with msys.registerControl.
type scriptControls struct{ p *Process }

func (s scriptControls) Names() []string { return s.p.Host.ControlNames() }

func (s scriptControls) Run(ctx context.Context, line string) (string, bool, error) {
	out, err := s.p.Host.RunControl(ctx, line)
	if errors.Is(err, luahost.ErrNoControl) {
		return "", false, nil
	}
	return out, true, err
}

// codeName is " (SMPP_DELIVERED)" for a return a hook's family names.
func codeName(hookName, returned string) string {
	n, err := strconv.Atoi(returned)
	if err != nil {
		return ""
	}
	if name := hook.CodeName(hookName, n); name != "" {
		return " (" + name + ")"
	}
	return ""
}
