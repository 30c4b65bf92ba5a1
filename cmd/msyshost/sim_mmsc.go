package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"msyshost/lib/mm7"
	"msyshost/lib/mmsc"
)

func init() { simCmd.AddCommand(simMMSCCmd()) }

func simMMSCCmd() *cobra.Command {
	var (
		o                 mmsc.Options
		mix               string
		statuses, rejects []string
		maxSize, seed     uint64
	)
	c := &cobra.Command{
		Use:   "mmsc",
		Short: "Run an MMSC (MM7 relay) that accepts SubmitReq and posts delivery reports back",
		Long: `Runs an MMSC simulator: it answers MM7 SubmitReq posted to --listen/--path
with a SubmitRsp and, when the request asks for delivery reports, posts a
DeliveryReportReq per recipient to --report-url after --delay. The final
status is drawn from --mix, or fixed per recipient prefix with --status;
--progress reports intermediate statuses first; --reject refuses recipients
with a StatusCode. It runs until interrupted.

Example:
  msyshost sim mmsc --mix Retrieved=8,Expired=1,Rejected=1 \
    --status 1555000=Expired --reject 1555999=3001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Mix, err = mmsc.ParseMix(mix); err != nil {
				return err
			}
			o.Statuses = map[string]string{}
			for _, s := range statuses {
				prefix, st, ok := strings.Cut(s, "=")
				if !ok || st == "" {
					return fmt.Errorf("--status %q is not prefix=Status", s)
				}
				o.Statuses[prefix] = st
			}
			o.Reject = map[string]int{}
			for _, s := range rejects {
				prefix, code, ok := strings.Cut(s, "=")
				n, err := strconv.Atoi(code)
				if !ok || err != nil || n < 2000 || n > 9999 {
					return fmt.Errorf("--reject %q is not prefix=StatusCode (2000-9999)", s)
				}
				o.Reject[prefix] = n
			}
			o.MaxSize, o.Seed = int64(maxSize), seed
			if _, ok := mm7.CanonicalNamespace(o.Schema); !ok {
				return fmt.Errorf("--schema %q is not an MM7 schema release (REL-5-MM7-1-0 ... REL-6-MM7-1-4)", o.Schema)
			}
			if !slices.Contains(mmsc.Echoes, o.SenderEcho) {
				return fmt.Errorf("--sender-echo %q is none of %s", o.SenderEcho, strings.Join(mmsc.Echoes, ", "))
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sim := mmsc.New(o, log)
			if err := sim.Start(ctx); err != nil {
				return err
			}
			reports := o.ReportURL
			if reports == "" {
				reports = "nowhere (no --report-url)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "MMSC simulator on %s; delivery reports to %s\n", sim.URL(), reports)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return sim.Stop(sctx)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Addr, "listen", "127.0.0.1:8090", "address to listen on")
	f.StringVar(&o.Path, "path", "/mm7", "request path VASPs post to")
	f.StringVar(&o.User, "user", "", "Basic auth user VASPs must present (none when empty)")
	f.StringVar(&o.Password, "password", "", "Basic auth password")
	f.StringVar(&o.VASPID, "vaspid", "", "the only VASPID accepted (any when empty)")
	f.Uint64Var(&maxSize, "max-size", 1<<20, "largest request accepted, in bytes")
	f.StringVar(&o.ReportURL, "report-url", "http://127.0.0.1:8089/mm7/", "where delivery reports are posted (the VASP's MM7 server)")
	f.StringVar(&o.ReportUser, "report-user", "", "Basic auth user for posting reports")
	f.StringVar(&o.ReportPassword, "report-password", "", "Basic auth password for posting reports")
	f.DurationVar(&o.ReportDelay, "delay", time.Second, "delay before each delivery report")
	f.StringVar(&mix, "mix", "Retrieved=1", "weights of final statuses, e.g. Retrieved=8,Expired=1,Rejected=1")
	f.StringSliceVar(&o.Progress, "progress", nil, "intermediate statuses reported first, e.g. Forwarded")
	f.StringArrayVar(&statuses, "status", nil, "prefix=Status: final status for recipients starting with prefix (repeatable)")
	f.StringArrayVar(&rejects, "reject", nil, "prefix=StatusCode: refuse recipients starting with prefix (repeatable)")
	f.IntVar(&o.ReportAttempts, "attempts", 3, "posts of one report before it is dropped")
	f.Uint64Var(&seed, "seed", 0, "seed of the status draw (0: from the clock)")
	f.StringVar(&o.Schema, "schema", "REL-6-MM7-1-4", "schema release the relay implements (answers and reports in it; newer requests get 4002)")
	f.StringVar(&o.SenderEcho, "sender-echo", mmsc.EchoAsIs, "how reports echo the sender: "+strings.Join(mmsc.Echoes, ", "))
	f.IntVar(&o.DuplicateEvery, "duplicate-every", 0, "post every Nth report twice (0: never)")
	f.BoolVar(&o.Early, "early", false, "post each recipient's first report at once, racing the SubmitRsp")
	return c
}
