package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"msyshost/luahost"
	"msyshost/luahost/compat"
)

func checkCmd() *cobra.Command {
	var compatMode bool
	var search []string
	cmd := &cobra.Command{
		Use:   "check [--compat [-I DIR]] FILE...",
		Short: "Compile scripts (Momentum dialect included); with --compat, report what of Momentum's Lua API each uses and whether msyshost supports it",
		Long: `check compiles each script and reports errors as file:line:column.

With --compat it also reads each script for the msys functions, modules,
class methods and hooks it uses and says, per use, whether msyshost supports
it, supports it with a difference, or not at all. The exit status is 1 when
any script does not compile or uses something msyshost does not support, so
a migration can be checked in CI. -I adds folders where the scripts' own Lua
modules are found (the script's folder and the Lua shipped with msyshost,
such as strict.lua, are always searched).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var idx *compat.Index
			if compatMode {
				idx = compat.NewIndex(luahost.BuildCatalog())
			}
			bad := 0
			for _, f := range args {
				if err := luahost.Compile(f); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				if idx == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", f)
					continue
				}
				src, err := os.ReadFile(f)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				r, err := idx.Check(f, src, append(append([]string{filepath.Dir(f)}, search...), scriptletDirs()...))
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", f, err)
					bad++
					continue
				}
				compat.WriteReport(cmd.OutOrStdout(), r)
				if _, _, n := r.Counts(); n > 0 {
					bad++
				}
			}
			if bad > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&compatMode, "compat", false, "report the Momentum API each script uses and msyshost's support for it")
	cmd.Flags().StringArrayVarP(&search, "include", "I", nil, "a folder of the scripts' own Lua modules (repeatable)")
	return cmd
}

func apiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Print the compatibility matrix of Momentum's Lua API (Markdown), generated from the binding and hook registries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			compat.WriteMatrix(cmd.OutOrStdout(), luahost.BuildCatalog())
			return nil
		},
	}
}
