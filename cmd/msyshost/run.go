package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"msyshost/lib/process"
)

// defaultConfig is what `msyshost run` loads without -c: the example
// config, everything on loopback and data under data/.
const defaultConfig = "examples/msyshost.conf"

func runCmd() *cobra.Command {
	var (
		cfgFile     string
		dataDir     string
		lenient     bool
		allowBroken bool
		logFormat   string
		logLevel    string
		stopTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon",
		Long: `Run msyshost as a daemon on a config (default ` + defaultConfig + `): the message
store, the Lua host with hot reload, the console on a Unix control socket and every
configured listener and channel. SIGHUP reloads the config; SIGINT or SIGTERM stop
accepting, let work in flight finish and close the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd.ErrOrStderr(), logFormat, logLevel)
			if err != nil {
				return err
			}
			stop := make(chan struct{}, 1)
			opts := process.Options{
				Mode:               process.Daemon,
				ConfigFile:         cfgFile,
				DataDir:            dataDir,
				Lenient:            lenient,
				AllowBrokenScripts: allowBroken,
				Logger:             log,
				SearchPath:         scriptletDirs(),
				Version:            version,
				Shutdown: func() {
					select {
					case stop <- struct{}{}:
					default:
					}
				},
			}
			return runDaemon(cmd.Context(), opts, log, stop, stopTimeout)
		},
	}
	cmd.Flags().StringVarP(&cfgFile, "config", "c", defaultConfig, "the config `FILE`")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the data `DIR` (overrides Data_Directory)")
	cmd.Flags().BoolVar(&lenient, "lenient", false, "warn about unknown options and scopes instead of refusing the config")
	cmd.Flags().BoolVar(&allowBroken, "allow-broken-scripts", false, "start without a script that does not load, instead of refusing to start")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().DurationVar(&stopTimeout, "stop-timeout", 30*time.Second, "how long shutdown waits for work in flight")
	return cmd
}

func newLogger(w interface{ Write([]byte) (int, error) }, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func runDaemon(ctx context.Context, opts process.Options, log *slog.Logger, stop chan struct{}, stopTimeout time.Duration) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	p, err := process.Build(ctx, opts)
	if err != nil {
		log.Error("msyshost not started", "config", opts.ConfigFile, "error", err.Error())
		return exitCode(1)
	}
	if err := p.Start(ctx); err != nil {
		log.Error("msyshost not started", "error", err.Error())
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		p.Stop(sctx)
		cancel()
		return exitCode(1)
	}
	log.Info("msyshost started", "version", version, "config", opts.ConfigFile, "data_dir", p.DataDir(),
		"store", p.StoreInfo(), "listeners", strings.Join(p.Listeners(), " "),
		"scripts", loadedScripts(p), "generation", p.Host.Generation(), "pid", os.Getpid())
	for running := true; running; {
		select {
		case s := <-sigs:
			if s == syscall.SIGHUP {
				if _, err := p.ReloadConfig(ctx); err != nil {
					log.Error("SIGHUP: config not reloaded; the previous config and scripts keep serving", "error", err.Error())
				} else {
					log.Info("config reloaded (SIGHUP)", "generation", p.Host.Generation())
				}
				continue
			}
			log.Info("stopping", "signal", s.String())
			running = false
		case <-stop:
			log.Info("stopping", "cause", "console shutdown")
			running = false
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	// A second SIGINT or SIGTERM while stopping means now.
	go func() {
		for s := range sigs {
			if s != syscall.SIGHUP {
				log.Warn("stopping now, without waiting for work in flight", "signal", s.String())
				cancel()
				return
			}
		}
	}()
	if err := p.Stop(sctx); err != nil {
		log.Error("stopped with errors", "error", err.Error())
		return exitCode(1)
	}
	log.Info("msyshost stopped")
	return nil
}

// loadedScripts is "2", or "1 of 2" when --allow-broken-scripts left some
// out.
func loadedScripts(p *process.Process) string {
	all := p.ScriptStatus()
	n := 0
	for _, s := range all {
		if s.Generation != 0 {
			n++
		}
	}
	if n == len(all) {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d of %d", n, len(all))
}
