package conformance

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reruns scenarios as their files change, for policy authors: rep is
// the first run's report. Each time a scenario file, one of its scripts or
// a module they required is saved, the scenarios depending on it run again
// and one verdict line is printed, followed by the failures. It returns
// when ctx ends.
func Watch(ctx context.Context, rep *Report, opts Options, out io.Writer) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching scenarios: %w", err)
	}
	defer w.Close()
	// dependents: a file's absolute path → the scenario files that use it.
	dependents := map[string]map[string]bool{}
	dirs := map[string]bool{}
	track := func(res *Result) {
		file := res.Scenario.File
		for _, f := range append(res.Files, file) {
			abs, err := filepath.Abs(f)
			if err != nil {
				continue
			}
			if dependents[abs] == nil {
				dependents[abs] = map[string]bool{}
			}
			dependents[abs][file] = true
			if d := filepath.Dir(abs); !dirs[d] {
				if err := w.Add(d); err == nil {
					dirs[d] = true
				}
			}
		}
	}
	for _, res := range rep.Results {
		track(res)
	}
	fmt.Fprintf(out, "watching %d files of %d scenarios; ^C stops\n", len(dependents), len(rep.Results))
	const debounce = 100 * time.Millisecond
	var (
		timer   = time.NewTimer(time.Hour)
		changed = map[string]bool{}
	)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			fmt.Fprintln(out, "watch:", err)
		case ev := <-w.Events:
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if _, ok := dependents[filepath.Clean(ev.Name)]; !ok {
				continue
			}
			changed[filepath.Clean(ev.Name)] = true
			timer.Reset(debounce)
		case <-timer.C:
			affected := map[string]bool{}
			var names []string
			for f := range changed {
				names = append(names, filepath.Base(f))
				for s := range dependents[f] {
					affected[s] = true
				}
			}
			changed = map[string]bool{}
			var files []string
			for f := range affected {
				files = append(files, f)
			}
			sort.Strings(files)
			sort.Strings(names)
			again := RunFiles(ctx, files, opts, nil, false)
			noun := "scenarios"
			if len(files) == 1 {
				noun = "scenario"
			}
			fmt.Fprintf(out, "%s %s changed: %d %s, %d passed, %d failed\n",
				time.Now().Format("15:04:05"), strings.Join(names, ", "), len(files), noun, again.Passed(), again.Failed())
			for _, res := range again.Results {
				track(res)
				if !res.Passed() {
					fmt.Fprintf(out, "  FAIL %s (%s)\n", res.Scenario.Name, res.Scenario.File)
					for _, f := range res.Failures {
						fmt.Fprintf(out, "      %s\n", strings.ReplaceAll(f, "\n", "\n      "))
					}
				}
			}
		}
	}
}
