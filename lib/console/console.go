// Package console owns the operator's command language (ec_console style):
// a registry of commands by name, argument splitting with quotes, and the
// mstore and config commands. Transports (the control socket) are elsewhere;
// Exec is what they and the scenario runner call.
package console

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"msyshost/lib/typo"
)

// Command handles one command line whose first words matched its name.
type Command struct {
	Name  string // "mstore display"
	Usage string // "mstore display BUCKET MSGID [body|full|resource]"
	Help  string // one line for `help`
	Run   func(ctx context.Context, args []string) (string, error)
}

// Console is a set of commands. It is safe for concurrent use: sessions on
// the control socket run commands while others are added.
type Console struct {
	mu       sync.RWMutex
	commands map[string]Command
	dynamic  Dynamic
}

// Dynamic supplies commands that come and go with the scripts
// (msys.registerControl): Names lists them for help and suggestions, Run
// runs a line and reports whether one of them took it. Built-in commands
// win over a dynamic one of the same name.
type Dynamic interface {
	Names() []string
	Run(ctx context.Context, line string) (out string, handled bool, err error)
}

// SetDynamic installs the source of script-registered commands.
func (c *Console) SetDynamic(d Dynamic) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dynamic = d
}

// New returns an empty console.
func New() *Console { return &Console{commands: map[string]Command{}} }

// Add registers a command; a duplicate name panics.
func (c *Console) Add(cmd Command) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(cmd.Name)
	if _, dup := c.commands[key]; dup {
		panic("console: command " + cmd.Name + " registered twice")
	}
	c.commands[key] = cmd
}

// Exec runs one command line and returns its output.
func (c *Console) Exec(ctx context.Context, line string) (string, error) {
	words, err := Split(line)
	if err != nil {
		return "", err
	}
	if len(words) == 0 {
		return "", nil
	}
	if strings.EqualFold(words[0], "help") {
		if len(words) == 2 && (strings.EqualFold(words[1], "quit") || strings.EqualFold(words[1], "exit")) {
			return "quit\n    end the console session (exit does the same)\n", nil
		}
		return c.help(words[1:])
	}
	c.mu.RLock()
	var (
		cmd   Command
		found bool
		n     int
	)
	// The longest command name that prefixes the words wins.
	for n = len(words); n > 0; n-- {
		if cmd, found = c.commands[strings.ToLower(strings.Join(words[:n], " "))]; found {
			break
		}
	}
	dyn := c.dynamic
	c.mu.RUnlock()
	if !found && dyn != nil {
		if out, handled, err := dyn.Run(ctx, line); handled {
			return out, err
		}
	}
	if !found {
		return "", fmt.Errorf("unknown command %q%s", strings.Join(words, " "), c.suggest(words))
	}
	return cmd.Run(ctx, words[n:])
}

// help lists every command, or those whose name starts with topic.
func (c *Console) help(topic []string) (string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	prefix := strings.ToLower(strings.Join(topic, " "))
	matches := func(name string) bool {
		return prefix == "" || name == prefix || strings.HasPrefix(name, prefix+" ")
	}
	var names []string
	for name := range c.commands {
		if matches(name) {
			names = append(names, name)
		}
	}
	var scripted []string
	if c.dynamic != nil {
		for _, name := range c.dynamic.Names() {
			if _, builtin := c.commands[strings.ToLower(name)]; !builtin && matches(strings.ToLower(name)) {
				scripted = append(scripted, name)
			}
		}
	}
	if len(names) == 0 && len(scripted) == 0 {
		return "", fmt.Errorf("help: no command %q%s", strings.Join(topic, " "), c.suggestLocked(topic))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		cmd := c.commands[name]
		b.WriteString(cmd.Usage)
		if cmd.Help != "" {
			b.WriteString("\n    " + cmd.Help)
		}
		b.WriteString("\n")
	}
	for _, name := range scripted {
		b.WriteString(name + " ...\n    registered by a script (msys.registerControl)\n")
	}
	if prefix == "" {
		b.WriteString("help [COMMAND]\n    this list, or one command's usage\n")
		b.WriteString("quit\n    end the console session\n")
	}
	return b.String(), nil
}

// suggest names the commands closest to what was typed.
func (c *Console) suggest(words []string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.suggestLocked(words)
}

func (c *Console) suggestLocked(words []string) string {
	if len(words) == 0 {
		return "; try \"help\""
	}
	// Whole names first ("mstore dispaly" is one slip from "mstore
	// display"), matched against the same number of typed words; then
	// commands whose first word is near the first typed word.
	usage := map[string]string{}
	var names []string
	for name, cmd := range c.commands {
		names = append(names, name)
		usage[name] = cmd.Usage
	}
	if c.dynamic != nil {
		for _, name := range c.dynamic.Names() {
			names = append(names, strings.ToLower(name))
			usage[strings.ToLower(name)] = name + " ..."
		}
	}
	var near []string
	for _, name := range names {
		k := strings.Count(name, " ") + 1
		if k <= len(words) && len(typo.Near(strings.Join(words[:k], " "), []string{name})) > 0 {
			near = append(near, usage[name])
		}
	}
	if len(near) == 0 {
		first := strings.ToLower(words[0])
		for _, name := range names {
			head, _, _ := strings.Cut(name, " ")
			if head == first || len(typo.Near(first, []string{head})) > 0 {
				near = append(near, usage[name])
			}
		}
	}
	if len(near) == 0 {
		return "; try \"help\""
	}
	sort.Strings(near)
	return "; did you mean: " + strings.Join(near, " | ")
}

// Split splits a command line into words; double or single quotes group
// words and a backslash escapes the next character.
func Split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '"' || ch == '\'':
			quote = ch
			inWord = true
		case isSpace(ch):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// isSpace reports the ASCII white space that separates words.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
