package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"msyshost/luahost"
)

func checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Compile scripts (Momentum dialect included) and report errors with file:line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, f := range args {
				if err := luahost.Compile(f); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", f)
			}
			if bad > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
}
