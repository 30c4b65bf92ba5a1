// Command msyshost runs Momentum Lua policy scriptlets and the mobile retry
// flow. See README.md.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	_ "msyshost/lib/msys"
	// The spool and its routing, SMTP out and SMTP in register their
	// components with the process; reception gives SMTP in its policy.
	_ "msyshost/lib/reception"
	_ "msyshost/lib/route"
	_ "msyshost/lib/smtpclient"
	_ "msyshost/lib/smtpserver"
	// The SMPP channel and the SMSC simulator the config may start.
	_ "msyshost/lib/smppclient"
	_ "msyshost/lib/smsc"
	// The MM7 channel, the MM7 receiver and the MMSC simulator started
	// with the daemon.
	_ "msyshost/lib/mm7client"
	_ "msyshost/lib/mm7server"
	_ "msyshost/lib/mmsc"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if code, ok := asLua(); ok {
		os.Exit(code)
	}
	root := &cobra.Command{
		Use:           "msyshost",
		Short:         "Run Momentum Lua scriptlets and the SMPP/MM7 retry flow",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), consoleCmd(), configCmd(), testCmd(), checkCmd(), apiCmd(), luaCmd(), versionCmd(), simCmd)
	if err := root.Execute(); err != nil {
		var code exitCode
		if asExit(err, &code) {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "msyshost:", err)
		os.Exit(2)
	}
}

// exitCode is an error that only carries an exit status; what went wrong
// was already printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExit(err error, code *exitCode) bool {
	c, ok := err.(exitCode)
	if ok {
		*code = c
	}
	return ok
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "msyshost", version) },
	}
}
