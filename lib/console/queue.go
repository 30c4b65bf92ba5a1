package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/spool"
)

// AddQueue registers the queue commands over the spool, in Momentum's words
// (ec_console): summary, mailq, showqueue and message details to see a
// queue; message retry, flush domain, message fail, fail domain and
// reroute queue to move it.
func (c *Console) AddQueue(q *spool.Spool) {
	c.Add(Command{
		Name: "summary", Usage: "summary",
		Help: "queue sizes and message counts since start",
		Run: func(context.Context, []string) (string, error) {
			st, err := q.Stats()
			if err != nil {
				return "", err
			}
			var b strings.Builder
			b.WriteString("Summary Statistics\n")
			row := func(k string, v any) { fmt.Fprintf(&b, "%32s: %v\n", k, v) }
			row("Active Queue Size", st.Active)
			row("Delayed Queue Size", st.Delayed)
			row("Total Queue Size", st.Active+st.Delayed)
			row("Being Delivered", st.Delivering)
			row("Successfully Delivered Messages", st.Delivered)
			row("Failed Messages", st.Failed)
			row("Received Messages", st.Received)
			row("Uptime", fmt.Sprintf("%d seconds", int(time.Since(st.Started).Seconds())))
			return b.String(), nil
		},
	})
	c.Add(Command{
		Name: "mailq", Usage: "mailq [--domain|-d DOMAIN]... [--binding|-b BINDING]... [--limit|-l N]",
		Help: "active (AQ) and delayed (DQ) messages per binding and domain",
		Run:  func(_ context.Context, args []string) (string, error) { return mailq(q, args) },
	})
	c.Add(Command{
		Name: "showqueue", Usage: "showqueue [binding BINDING|all] DOMAIN [LIMIT,OFFSET]",
		Help: "the messages queued for a domain (\"all\" for every domain), 100 at a time",
		Run:  func(_ context.Context, args []string) (string, error) { return showqueue(q, args) },
	})
	c.Add(Command{
		Name: "message details", Usage: "message details [full|body] MESSAGE_ID",
		Help: "what the spool knows of a queued message; full adds the message, body gives only the message",
		Run: func(_ context.Context, args []string) (string, error) {
			mode := ""
			if len(args) == 2 && (strings.EqualFold(args[0], "full") || strings.EqualFold(args[0], "body")) {
				mode, args = strings.ToLower(args[0]), args[1:]
			}
			if len(args) != 1 {
				return "", errors.New("usage: message details [full|body] MESSAGE_ID")
			}
			e, raw, err := q.Get(args[0])
			if err != nil {
				return "", err
			}
			switch mode {
			case "body":
				return string(raw), nil
			case "full":
				return details(e) + "\n" + string(raw), nil
			}
			return details(e), nil
		},
	})
	c.Add(Command{
		Name: "message retry", Usage: "message retry MESSAGE_ID",
		Help: "attempt delivery of a waiting message now",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) != 1 {
				return "", errors.New("usage: message retry MESSAGE_ID")
			}
			if err := q.Retry(ctx, args[0]); err != nil {
				return "", err
			}
			return "Message requeued for delivery\n", nil
		},
	})
	for _, quiet := range []bool{false, true} {
		name, how := "message fail", "with a bounce to its sender"
		if quiet {
			name, how = "message fail quiet", "without a bounce"
		}
		c.Add(Command{
			Name: name, Usage: name + " MESSAGE_ID",
			Help: "fail a queued message for good (554 manually failed), " + how,
			Run: func(ctx context.Context, args []string) (string, error) {
				if len(args) != 1 {
					return "", errors.New("usage: " + name + " MESSAGE_ID")
				}
				if err := q.Fail(ctx, args[0], quiet); err != nil {
					return "", err
				}
				return fmt.Sprintf("Message %s failed\n", args[0]), nil
			},
		})
	}
	c.Add(Command{
		Name: "flush domain", Usage: "flush domain DOMAIN|all",
		Help: "attempt delivery of every waiting message of a domain now",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) != 1 {
				return "", errors.New("usage: flush domain DOMAIN|all")
			}
			n, err := q.Flush(ctx, args[0])
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s flushed.  %d messages requeued.\n", args[0], n), nil
		},
	})
	for _, quiet := range []bool{false, true} {
		name, how := "fail domain", "each with a bounce to its sender"
		if quiet {
			name, how = "fail domain quiet", "without bounces"
		}
		c.Add(Command{
			Name: name, Usage: name + " DOMAIN|all",
			Help: "fail every queued message of a domain for good (554 Message manually purged.), " + how,
			Run: func(ctx context.Context, args []string) (string, error) {
				if len(args) != 1 {
					return "", errors.New("usage: " + name + " DOMAIN|all")
				}
				n, err := q.FailDomain(ctx, args[0], quiet)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s purged. %d messages failed.\n", args[0], n), nil
			},
		})
	}
	c.Add(Command{
		Name: "reroute queue", Usage: "reroute queue DOMAIN|all NEW_DOMAIN",
		Help: "route the queued messages of a domain by another domain's configuration, and attempt them now",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) != 2 {
				return "", errors.New("usage: reroute queue DOMAIN|all NEW_DOMAIN")
			}
			n, err := q.Reroute(ctx, args[0], args[1])
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Moved %d messages from '%s' to '%s'\n", n, args[0], args[1]), nil
		},
	})
}

// binding names a message's binding group and binding as Momentum's queue
// listings do, "default" for none.
func binding(e spool.Entry) (group, name string) {
	group, name = e.BindingGroup, e.Binding
	if group == "" {
		group = "default"
	}
	if name == "" {
		name = "default"
	}
	return group, name
}

func mailq(q *spool.Spool, args []string) (string, error) {
	domains, bindings := map[string]bool{}, map[string]bool{}
	limit := 20
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			return "", fmt.Errorf("mailq: %s needs a value", args[i])
		}
		v := args[i+1]
		switch args[i] {
		case "--domain", "-d":
			domains[strings.ToLower(v)] = true
		case "--binding", "-b":
			bindings[v] = true
		case "--limit", "-l":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return "", fmt.Errorf("mailq: --limit takes a positive number, found %q", v)
			}
			limit = n
		default:
			return "", fmt.Errorf("mailq: unknown argument %q", args[i])
		}
		i++
	}
	entries, err := q.List("all")
	if err != nil {
		return "", err
	}
	type key struct{ gb, domain string }
	counts := map[key]*[2]int{}
	var keys []key
	for _, e := range entries {
		g, b := binding(e)
		if (len(domains) > 0 && !domains[e.Domain]) || (len(bindings) > 0 && !bindings[b]) {
			continue
		}
		k := key{g + "/" + b, e.Domain}
		if counts[k] == nil {
			counts[k] = &[2]int{}
			keys = append(keys, k)
		}
		if e.Active {
			counts[k][0]++
		} else {
			counts[k][1]++
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].gb != keys[j].gb {
			return keys[i].gb < keys[j].gb
		}
		return keys[i].domain < keys[j].domain
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %24s %7s %7s\n", "Group/Binding", "Domain", "AQ", "DQ")
	b.WriteString(strings.Repeat("-", 73) + "\n")
	for i, k := range keys {
		if i == limit {
			fmt.Fprintf(&b, "(%d more not shown; --limit)\n", len(keys)-limit)
			break
		}
		fmt.Fprintf(&b, "%-32s %24s %7d %7d\n", k.gb, k.domain, counts[k][0], counts[k][1])
	}
	return b.String(), nil
}

func showqueue(q *spool.Spool, args []string) (string, error) {
	const usage = "usage: showqueue [binding BINDING|all] DOMAIN [LIMIT,OFFSET]"
	onBinding := "default"
	if len(args) >= 2 && strings.EqualFold(args[0], "binding") {
		onBinding, args = args[1], args[2:]
	}
	if len(args) < 1 || len(args) > 2 {
		return "", errors.New(usage)
	}
	limit, offset := 100, 0
	if len(args) == 2 {
		l, o, ok := strings.Cut(args[1], ",")
		var err1, err2 error
		limit, err1 = strconv.Atoi(l)
		if ok {
			offset, err2 = strconv.Atoi(o)
		}
		if err1 != nil || err2 != nil || limit < 1 || offset < 0 {
			return "", errors.New(usage + " (LIMIT,OFFSET: two numbers, e.g. 100,0)")
		}
	}
	entries, err := q.List(args[0])
	if err != nil {
		return "", err
	}
	var b strings.Builder
	shown := 0
	for _, e := range entries {
		_, name := binding(e)
		if !strings.EqualFold(onBinding, "all") && name != onBinding {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		if shown == limit {
			break
		}
		shown++
		state := "delayed"
		if e.Active {
			state = "active"
		}
		fmt.Fprintf(&b, "[%s/%s] %s Created: %s\n  From: <%s> To: <%s>\n", state, name, e.ID, stamp(e.Created), e.MailFrom, e.RcptTo)
		if e.Attempts > 0 {
			fmt.Fprintf(&b, "  Attempts: %d Next: %s Last: %s\n", e.Attempts, stamp(e.Next), lastError(e))
		}
	}
	if shown == 0 {
		return fmt.Sprintf("No messages queued for %s\n", args[0]), nil
	}
	return b.String(), nil
}

func details(e spool.Entry) string {
	var b strings.Builder
	_, name := binding(e)
	fmt.Fprintf(&b, "Message: %s\n", e.ID)
	row := func(k string, v any) { fmt.Fprintf(&b, "%15s: %v\n", k, v) }
	if e.Damaged != "" {
		row("Damaged", e.Damaged)
		if e.MailFrom == "" && e.RcptTo == "" {
			row("State", "record unreadable; message fail removes it (without a bounce)")
			return b.String()
		}
	}
	row("Batch", cmp.Or(e.BatchID, "- (not received by SMTP)"))
	row("Created", stamp(e.Created))
	row("Next Attempt", stamp(e.Next))
	row("Retries", max(e.Attempts-1, 0))
	row("Attempts", e.Attempts)
	row("Sender", e.MailFrom)
	row("Recipient", e.RcptTo)
	row("Domain", e.Domain)
	row("Binding", name)
	row("Code", lastError(e))
	row("Size", e.Size)
	switch {
	case e.Delivering:
		row("State", "being delivered")
	case e.Failed:
		row("State", "failed; its bounce or removal is still to do (never delivered again)")
	case e.Quarantined:
		row("State", "quarantined after its channel panicked; message retry or message fail")
	}
	return b.String()
}

func lastError(e spool.Entry) string {
	if e.LastError == nil {
		return "-"
	}
	s := strconv.Itoa(e.LastError.Code)
	if e.LastError.Enhanced != "" {
		s += " " + e.LastError.Enhanced
	}
	return s + " " + e.LastError.Text
}
