package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"msyshost/luahost"
	"msyshost/luahost/interp"
)

func luaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lua [options] [script [args]]",
		Short: "Run Lua as lua5.1 does, in the host's environment",
		Long: `Run Lua the way the lua5.1 interpreter does, with the msys modules and the
Momentum dialect available. Options as lua5.1's: -e STAT runs a statement,
-l NAME requires a module, -i enters interactive mode after the script, -v
prints the version, -- stops handling options, - runs standard input.
LUA_INIT runs first (@FILE for a file). The script gets its arguments in
arg and "...". An error prints "lua: <message>" and a traceback on stderr
and exits 1. Invoked through a link named lua or lua5.1, msyshost behaves as
this command.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix := []string{os.Args[0], "lua"}
			if code := runLua(prefix, "lua", "msyshost lua", args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
	return cmd
}

// asLua reports whether msyshost was invoked through a link named as the
// lua5.1 interpreter, and runs as it then.
func asLua() (int, bool) {
	name := filepath.Base(os.Args[0])
	if name != "lua" && name != "lua5.1" {
		return 0, false
	}
	return runLua(os.Args[:1], os.Args[0], os.Args[0], os.Args[1:], os.Stdin, os.Stdout, os.Stderr), true
}

// runLua runs lua5.1's command line in a one-state host whose print goes
// to stdout; a standalone host lets scripts end the process with os.exit.
// msyshost lua finds modules in the scriptlet folders too; as lua or
// lua5.1 it keeps lua5.1's paths.
func runLua(prefix []string, name, usage string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var search []string
	if len(prefix) > 1 {
		search = append([]string{"."}, scriptletDirs()...)
	}
	h := luahost.New(luahost.Options{
		PoolSize:    1,
		Standalone:  true,
		CallTimeout: 365 * 24 * time.Hour,
		SearchPath:  search,
	}, &luahost.Services{Print: func(_, line string) { fmt.Fprintln(stdout, line) }})
	defer h.Close()
	tty := false
	if f, ok := stdin.(*os.File); ok {
		tty = interp.StdinIsTerminal(f)
	}
	c := &interp.Command{
		Prefix: prefix, Name: name, Usage: usage, Getenv: os.LookupEnv,
		Stdin: stdin, StdinIsTerminal: tty, Stdout: stdout, Stderr: stderr,
	}
	return c.Main(context.Background(), h, args)
}
