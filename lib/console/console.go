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
)

// Command handles one command line whose first words matched its name.
type Command struct {
	Name  string // "mstore display"
	Usage string // "mstore display BUCKET MSGID [body|full|resource]"
	Run   func(ctx context.Context, args []string) (string, error)
}

// Console is a set of commands.
type Console struct {
	commands map[string]Command
}

// New returns an empty console.
func New() *Console { return &Console{commands: map[string]Command{}} }

// Add registers a command; a duplicate name panics.
func (c *Console) Add(cmd Command) {
	if _, dup := c.commands[cmd.Name]; dup {
		panic("console: command " + cmd.Name + " registered twice")
	}
	c.commands[cmd.Name] = cmd
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
	if words[0] == "help" {
		return c.help(), nil
	}
	// The longest command name that prefixes the words wins.
	for n := len(words); n > 0; n-- {
		if cmd, ok := c.commands[strings.ToLower(strings.Join(words[:n], " "))]; ok {
			return cmd.Run(ctx, words[n:])
		}
	}
	return "", fmt.Errorf("unknown command %q%s", strings.Join(words, " "), c.suggest(words))
}

func (c *Console) help() string {
	var lines []string
	for _, cmd := range c.commands {
		lines = append(lines, cmd.Usage)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// suggest names the commands closest to what was typed.
func (c *Console) suggest(words []string) string {
	first := strings.ToLower(words[0])
	var near []string
	for name, cmd := range c.commands {
		head := strings.SplitN(name, " ", 2)[0]
		if head == first || distance(head, first) <= 2 {
			near = append(near, cmd.Usage)
		}
	}
	if len(near) == 0 {
		return "; try \"help\""
	}
	sort.Strings(near)
	return "; did you mean: " + strings.Join(near, " | ")
}

// distance is the Levenshtein distance, for typo suggestions.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
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
