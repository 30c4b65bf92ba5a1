package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/spool"
)

// AddMstore registers `mstore display|reinstate|delete` over store; reinstated
// messages go to inj.
func (c *Console) AddMstore(store mstore.Store, inj spool.Injector, fromRecord func(*mstore.Record) *message.Message) {
	c.Add(Command{
		Name:  "mstore display",
		Usage: "mstore display BUCKET MSGID [body|full|resource]",
		Help:  "show a stored message: its metadata, its body, both, or its context dictionaries; a segment id shows its long SMS",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) < 2 || len(args) > 3 {
				return "", errors.New("usage: mstore display BUCKET MSGID [body|full|resource]")
			}
			rec, err := load(ctx, store, args[0], args[1])
			if err != nil {
				return "", err
			}
			via := ""
			if rec.ID != args[1] {
				via = fmt.Sprintf("Segment: %s is a further segment of %s\n", args[1], rec.ID)
			}
			mode := ""
			if len(args) == 3 {
				mode = strings.ToLower(args[2])
			}
			switch mode {
			case "":
				return via + metadata(rec), nil
			case "body":
				return string(fromRecord(rec).Body()), nil
			case "full":
				return via + metadata(rec) + "\n" + string(rec.Raw), nil
			case "resource":
				return via + resource(rec), nil
			}
			return "", fmt.Errorf("mstore display: unknown part %q (body, full or resource)", args[2])
		},
	})
	c.Add(Command{
		Name:  "mstore reinstate",
		Usage: "mstore reinstate BUCKET MSGID [RCPTTO]",
		Help:  "queue a stored message again, to its recipient or RCPTTO; the stored copy is kept",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) < 2 || len(args) > 3 {
				return "", errors.New("usage: mstore reinstate BUCKET MSGID [RCPTTO]")
			}
			rec, err := load(ctx, store, args[0], args[1])
			if err != nil {
				return "", err
			}
			m := fromRecord(rec)
			if len(args) == 3 {
				m.RcptTo = args[2]
			}
			if err := inj.Inject(ctx, m); err != nil {
				return "", fmt.Errorf("mstore reinstate %s/%s: %w", args[0], args[1], err)
			}
			return fmt.Sprintf("Reinstated %s/%s as %s for <%s>; the stored copy is kept (mstore delete removes it)\n", args[0], args[1], m.ID, m.RcptTo), nil
		},
	})
	c.Add(Command{
		Name:  "mstore delete",
		Usage: "mstore delete BUCKET MSGID",
		Help:  "delete a stored message (for a long SMS, with every segment alias)",
		Run: func(ctx context.Context, args []string) (string, error) {
			if len(args) != 2 {
				return "", errors.New("usage: mstore delete BUCKET MSGID")
			}
			k, err := mstore.DeleteMessage(ctx, store, mstore.Key{Bucket: args[0], ID: args[1]})
			if errors.Is(err, mstore.ErrNotFound) {
				return "", fmt.Errorf("no such message %s/%s", args[0], args[1])
			}
			if err != nil {
				return "", err
			}
			if k.ID != args[1] {
				return fmt.Sprintf("Deleted %s, the message %s/%s is a segment of, with its segment aliases\n", k, args[0], args[1]), nil
			}
			return fmt.Sprintf("Deleted %s/%s\n", args[0], args[1]), nil
		},
	})
}

// load loads the message a key names, following a segment alias.
func load(ctx context.Context, store mstore.Store, bucket, id string) (*mstore.Record, error) {
	rec, err := mstore.LoadMessage(ctx, store, mstore.Key{Bucket: bucket, ID: id})
	if errors.Is(err, mstore.ErrNotFound) {
		return nil, fmt.Errorf("no such message %s/%s", bucket, id)
	}
	return rec, err
}

// metadata renders a record as `Key: value` lines, the shape of Momentum's
// `message details`.
func metadata(r *mstore.Record) string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s: %s\n", k, cmp.Or(v, "-")) }
	line("Bucket", r.Bucket)
	line("Message-Id", r.ID)
	line("Mail-From", r.MailFrom)
	line("Rcpt-To", r.RcptTo)
	line("Channel", r.Origin.Channel)
	line("Binding", cmp.Or(r.Origin.Binding, "default"))
	line("Domain", r.Origin.Domain)
	line("Shortcode", r.Origin.Shortcode)
	line("Segments", strings.Join(r.Origin.Segments, " "))
	line("Created", stamp(r.Created))
	line("Expires", stamp(r.Expires))
	line("Size", fmt.Sprint(len(r.Raw)))
	if !r.Handled.IsZero() {
		line("Receipt-Handled", r.Outcome+" at "+stamp(r.Handled))
	}
	return b.String()
}

func resource(r *mstore.Record) string {
	var b strings.Builder
	dict := func(title string, m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "%s:\n", title)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s = %q\n", k, m[k])
		}
	}
	dict("Message context", r.Context)
	dict("Connection context", r.ConnContext)
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
