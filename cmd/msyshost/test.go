package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"msyshost/lib/conformance"
)

func testCmd() *cobra.Command {
	var (
		junit   string
		tap     bool
		verbose bool
		search  []string
		watch   bool
		peers   []string
	)
	cmd := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run conformance scenarios (YAML files or folders of them)",
		Long: `Run conformance scenarios against a fresh host each: in-process clock,
embedded store in a temporary folder, recording outbox and bounce sink.
Prints a line per scenario and "N passed, N failed"; exits 1 on any failure.
A scenario with "peers: [smsc]" talks SMPP over loopback to the SMSC simulator
its config describes; --peer smsc=HOST:PORT sends it to that SMSC instead (a
carrier's test SMSC, or another implementation). "peers: [mmsc]" does the same
for MM7 over HTTP with the MMSC simulator (--peer mmsc=HOST:PORT; the MM7
receiver then listens on the config's HTTP_Listener for that MMSC's reports).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := conformance.Collect(args)
			if err != nil {
				return err
			}
			opts := conformance.Options{SearchPath: append(search, scriptletDirs()...)}
			if opts.Peers, err = conformance.ParsePeers(peers); err != nil {
				return err
			}
			if verbose {
				opts.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			rep := conformance.RunFiles(context.Background(), files, opts, cmd.OutOrStdout(), tap)
			if junit != "" {
				f, err := os.Create(junit)
				if err != nil {
					return err
				}
				if err := rep.WriteJUnit(f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			if watch {
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return conformance.Watch(ctx, rep, opts, cmd.OutOrStdout())
			}
			if rep.Failed() > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&junit, "junit", "", "write JUnit XML to `FILE`")
	cmd.Flags().BoolVar(&tap, "tap", false, "print TAP instead of progress lines")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log the host's activity to stderr")
	cmd.Flags().BoolVar(&watch, "watch", false, "after the run, rerun the scenarios whose files or scripts change, until ^C")
	cmd.Flags().StringSliceVarP(&search, "search-path", "I", nil, "extra `DIR` for script sources and require (repeatable)")
	cmd.Flags().StringArrayVar(&peers, "peer", nil, "`NAME=ADDR`: the scenarios' peer NAME (smsc, mmsc) is the one at ADDR, not the configured simulator (repeatable)")
	return cmd
}

// scriptletDirs returns the folder of Lua shipped with the host: beside the
// binary's repository checkout, or MSYSHOST_SCRIPTLETS.
func scriptletDirs() []string {
	if d := os.Getenv("MSYSHOST_SCRIPTLETS"); d != "" {
		return filepath.SplitList(d)
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "..", "scriptlets"))
	}
	return append(dirs, "scriptlets")
}
