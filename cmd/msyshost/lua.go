package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"msyshost/luahost"
)

func luaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lua [-e STAT] [-l NAME] [FILE|- [ARGS...]]",
		Short: "Run Lua as lua5.1 does, in the host's environment",
		Long: `Run Lua the way the lua5.1 interpreter does, with the msys modules and the
Momentum dialect available: -e STAT runs a statement, -l NAME requires a
module, FILE (or - for standard input) runs a script with ARGS in arg and
"...". print goes to stdout; an error prints "lua: <message>" on stderr and
exits 1.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			h := luahost.New(luahost.Options{
				PoolSize:    1,
				Standalone:  true,
				CallTimeout: 365 * 24 * time.Hour,
				SearchPath:  append([]string{"."}, scriptletDirs()...),
			}, &luahost.Services{Print: func(_, line string) { fmt.Fprintln(out, line) }})
			defer h.Close()
			if err := runLua(context.Background(), h, args, cmd.InOrStdin()); err != nil {
				fmt.Fprintln(os.Stderr, "lua:", err)
				if errors.Is(err, errUsage) {
					fmt.Fprintln(os.Stderr, "usage: msyshost", cmd.Use)
				}
				return exitCode(1)
			}
			return nil
		},
	}
	return cmd
}

var errUsage = errors.New("bad usage")

// runLua handles lua5.1's command line: options in order, then the script.
func runLua(ctx context.Context, h *luahost.Host, args []string, stdin io.Reader) error {
	ran := false
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-h" || a == "--help":
			return fmt.Errorf("%w: options are -e STAT, -l NAME, FILE or -", errUsage)
		case a == "--":
			args = args[1:]
			if len(args) == 0 {
				return nil
			}
			return h.RunMain(ctx, args[0], args[1:])
		case a == "-e" || a == "-l":
			if len(args) < 2 {
				return fmt.Errorf("%w: '%s' needs argument", errUsage, a)
			}
			code := args[1]
			if a == "-l" {
				code = fmt.Sprintf("require(%q)", args[1])
			}
			if err := h.Run(ctx, "(command line)", code); err != nil {
				return err
			}
			ran = true
			args = args[2:]
		case a == "-":
			src, err := io.ReadAll(stdin)
			if err != nil {
				return err
			}
			return h.Run(ctx, "stdin", string(src))
		case len(a) > 1 && a[0] == '-':
			return fmt.Errorf("%w: unrecognized option '%s'", errUsage, a)
		default:
			return h.RunMain(ctx, a, args[1:])
		}
	}
	if !ran {
		return fmt.Errorf("%w: no script given (interactive mode is not supported)", errUsage)
	}
	return nil
}
