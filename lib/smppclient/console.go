package smppclient

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"msyshost/lib/console"
)

// AddConsole registers `smpp status [DOMAIN]` on c: one line per bind
// with its state, window in use, submits and receipts counted and last
// error.
func (ch *Channel) AddConsole(c *console.Console) {
	c.Add(console.Command{
		Name:  "smpp status",
		Usage: "smpp status [DOMAIN]",
		Help:  "each SMPP bind: its state, window in use, submits, failures, receipts and last error",
		Run: func(_ context.Context, args []string) (string, error) {
			if len(args) > 1 {
				return "", fmt.Errorf("usage: smpp status [DOMAIN]")
			}
			var clients []*Client
			if len(args) == 1 {
				cl := ch.Client(args[0])
				if cl == nil {
					return "", fmt.Errorf("smpp status: no SMPP binding for domain %q", args[0])
				}
				clients = []*Client{cl}
			} else {
				clients = ch.Clients()
			}
			return Report(clients, time.Now()), nil
		},
	})
}

// Report renders the binds of clients as the console shows them.
func Report(clients []*Client, now time.Time) string {
	var all []Status
	for _, c := range clients {
		all = append(all, c.Statuses()...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Client != all[j].Client {
			return all[i].Client < all[j].Client
		}
		return all[i].Index < all[j].Index
	})
	if len(all) == 0 {
		return "no SMPP binds configured\n"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "DOMAIN\tBIND\tSMSC\tSYSTEM_ID\tTYPE\tSTATE\tSINCE\tWINDOW\tSUBMITS\tFAILED\tRECEIPTS\tLAST ERROR")
	for _, s := range all {
		since := "-"
		if !s.Since.IsZero() {
			since = now.Sub(s.Since).Truncate(time.Second).String()
		}
		last := "-"
		if s.LastError != "" {
			last = fmt.Sprintf("%s (%s ago)", s.LastError, now.Sub(s.LastErrAt).Truncate(time.Second))
		}
		fmt.Fprintf(w, "%s\t#%d\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\n", s.Client, s.Index, s.Addr, s.SystemID,
			strings.TrimPrefix(s.BindType, "bind_"), s.State, since, s.Window, s.WindowMax, s.Submits, s.Failed, s.Receipts, last)
	}
	w.Flush()
	return b.String()
}
