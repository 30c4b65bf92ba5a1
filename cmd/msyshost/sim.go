package main

import "github.com/spf13/cobra"

// simCommands build the simulator subcommands; each sim_*.go file adds
// its own in init().
var simCommands []func() *cobra.Command

func simCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "Run a protocol peer simulator (an SMSC or an MMSC) on loopback",
	}
	for _, sub := range simCommands {
		c.AddCommand(sub())
	}
	return c
}
