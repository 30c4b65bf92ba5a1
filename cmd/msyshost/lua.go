package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"msyshost/luahost"
)

func luaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lua FILE [ARGS...]",
		Short: "Run a Lua file as lua5.1 does, in the host's environment",
		Long: `Run a Lua file the way the lua5.1 interpreter does (arg table, print to
stdout, "lua: <message>" on stderr and exit status 1 on error), with the msys
modules and the Momentum dialect available.`,
		Args:               cobra.MinimumNArgs(1),
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "-h" || args[0] == "--help" {
				return cmd.Help()
			}
			out := cmd.OutOrStdout()
			h := luahost.New(luahost.Options{
				PoolSize:    1,
				CallTimeout: 365 * 24 * time.Hour,
				SearchPath:  append([]string{"."}, scriptletDirs()...),
			}, &luahost.Services{Print: func(_, line string) { fmt.Fprintln(out, line) }})
			defer h.Close()
			if err := h.RunMain(context.Background(), args[0], args[1:]); err != nil {
				fmt.Fprintln(os.Stderr, "lua:", err)
				return exitCode(1)
			}
			return nil
		},
	}
	return cmd
}
