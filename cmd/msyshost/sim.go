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

	"msyshost/lib/smpp"
	"msyshost/lib/smsc"
)

// simCmd is the parent of the built-in simulators (`sim smsc`, `sim mmsc`).
var simCmd = &cobra.Command{
	Use:   "sim",
	Short: "Run a built-in SMSC or MMSC simulator",
}

func init() { simCmd.AddCommand(smscCmd()) }

func smscCmd() *cobra.Command {
	var (
		addr, systemID, idFormat, rcptFormat, outcomes, style, accounts, intermediate, outcomeFor string
		delay, redeliver, respondDelay, enquireLink                                               time.Duration
		nul, early, verbose, dataSM, tlvSubmitID, receiptUCS2, plainReceipts, respTLVs            bool
		dupEvery, maxRate                                                                         int
	)
	cmd := &cobra.Command{
		Use:   "smsc",
		Short: "Run an SMPP v3.4 SMSC simulator that answers submits and sends delivery receipts",
		Long: `Accepts binds, answers submit_sm with message ids in the chosen format and
sends delivery receipts after --delay with the --outcomes mix, in the shapes real
SMSCs use: TLVs and/or the appendix B text, trailing NULs, duplicates, receipts
that overtake the submit_sm_resp. Runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt := smsc.Options{Addr: addr, SystemID: systemID, ReceiptDelay: delay, Redeliver: redeliver,
				TrailingNUL: nul, Early: early, DuplicateEvery: dupEvery, MaxRate: maxRate, DataSM: dataSM,
				RespondDelay: respondDelay, EnquireLink: enquireLink, TLVSubmitID: tlvSubmitID, ReceiptUCS2: receiptUCS2,
				PlainReceipts: plainReceipts, RespTLVs: respTLVs}
			var err error
			if opt.IDFormat, err = smpp.ParseIDFormat(idFormat); err != nil {
				return fmt.Errorf("--id-format: %w", err)
			}
			if rcptFormat != "" {
				f, err := smpp.ParseIDFormat(rcptFormat)
				if err != nil {
					return fmt.Errorf("--receipt-id-format: %w", err)
				}
				opt.ReceiptIDFormat = &f
			}
			if opt.Outcomes, err = smsc.ParseOutcomes(outcomes); err != nil {
				return fmt.Errorf("--outcomes: %w", err)
			}
			if opt.OutcomeFor, err = smsc.ParseOutcomeFor(outcomeFor); err != nil {
				return fmt.Errorf("--outcome-for: %w", err)
			}
			if opt.Style, err = smsc.ParseStyle(style); err != nil {
				return fmt.Errorf("--receipt: %w", err)
			}
			if opt.Intermediate, err = smsc.ParseIntermediate(intermediate); err != nil {
				return fmt.Errorf("--intermediate: %w", err)
			}
			if accounts != "" {
				opt.Accounts = map[string]string{}
				for _, a := range strings.Split(accounts, ",") {
					id, pw, ok := strings.Cut(a, ":")
					if !ok {
						return fmt.Errorf("--accounts: %q is not SYSTEM_ID:PASSWORD", a)
					}
					opt.Accounts[id] = pw
				}
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sim := smsc.New(opt, log)
			if err := sim.Start(ctx); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "SMSC simulator listening on %s\n", sim.Addr())
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return sim.Stop(sctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "listen", "127.0.0.1:2775", "`ADDR` to listen on (loopback only unless you mean it)")
	f.StringVar(&systemID, "system-id", "msyshost-smsc", "system_id the SMSC answers binds with")
	f.StringVar(&accounts, "accounts", "", "accepted `SYSTEM_ID:PASSWORD` pairs, comma-separated (default: any)")
	f.StringVar(&idFormat, "id-format", "string", "message ids in submit_sm_resp: string, decimal or hexadecimal")
	f.StringVar(&rcptFormat, "receipt-id-format", "", "message ids in receipts (default: as --id-format)")
	f.DurationVar(&delay, "delay", time.Second, "time from submit to receipt")
	f.StringVar(&outcomes, "outcomes", "DELIVRD=1", "final states and weights, e.g. DELIVRD=8,UNDELIV=1,EXPIRED=1,REJECTD=1")
	f.StringVar(&outcomeFor, "outcome-for", "", "`PREFIX=STATE` pairs, comma-separated: the final state of destinations starting with PREFIX (e.g. 1666=UNDELIV)")
	f.StringVar(&intermediate, "intermediate", "requested", "ENROUTE receipts: requested (registered_delivery 0x10), always or never")
	f.StringVar(&style, "receipt", "both", "receipt shape: both (TLVs and text), tlv or text")
	f.BoolVar(&nul, "trailing-nul", false, "pad receipted_message_id and the receipt text with NULs")
	f.IntVar(&dupEvery, "duplicate-every", 0, "send every Nth receipt twice (0: never)")
	f.BoolVar(&dataSM, "data-sm", false, "send receipts in data_sm (text in message_payload) instead of deliver_sm")
	f.BoolVar(&early, "early", false, "send the receipt before the submit_sm_resp")
	f.IntVar(&maxRate, "max-rate", 0, "submits per second per account (system_id) before ESME_RTHROTTLED (0: unlimited)")
	f.DurationVar(&redeliver, "redeliver", 2*time.Second, "time before an unanswered or refused receipt is sent again")
	f.DurationVar(&respondDelay, "respond-delay", 0, "hold each submit_sm_resp this long, as a loaded SMSC answers late")
	f.DurationVar(&enquireLink, "enquire-link", 0, "send enquire_link to every bound ESME at this interval (0: never)")
	f.BoolVar(&tlvSubmitID, "tlv-submit-id", false, "receipted_message_id as submit_sm_resp wrote the id; only the text's id in --receipt-id-format")
	f.BoolVar(&receiptUCS2, "receipt-ucs2", false, "write the receipt text in UCS-2 (data_coding 8)")
	f.BoolVar(&plainReceipts, "plain-receipts", false, "send receipts with esm_class 0")
	f.BoolVar(&respTLVs, "resp-tlvs", false, "append additional_status_info_text to submit_sm_resp (SMPP v5.0)")
	f.BoolVarP(&verbose, "verbose", "v", false, "log every session and receipt")
	return cmd
}
