package conformance

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Collect expands files and folders (recursively, *.yaml and *.yml) into
// scenario files in a stable order.
func Collect(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no scenario files (*.yaml)", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// Report says how a run went, scenario by scenario, in file order. A file
// that does not parse is a failed result named after the file.
type Report struct {
	Results []*Result
}

// Failed counts failed scenarios, unparsable files included.
func (r *Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if !res.Passed() {
			n++
		}
	}
	return n
}

// Passed counts passed scenarios.
func (r *Report) Passed() int { return len(r.Results) - r.Failed() }

// RunFiles runs every scenario file, printing a progress line per scenario
// to progress (nil for none) and, when tap is true, TAP instead.
func RunFiles(ctx context.Context, files []string, opts Options, progress io.Writer, tap bool) *Report {
	rep := &Report{}
	if progress == nil {
		progress = io.Discard
	}
	if tap {
		fmt.Fprintf(progress, "TAP version 13\n1..%d\n", len(files))
	}
	for i, f := range files {
		var res *Result
		if s, err := Load(f); err != nil {
			res = &Result{Scenario: &Scenario{File: f, Name: f}, Failures: []string{err.Error()}, Files: []string{f}}
		} else {
			res = Run(ctx, s, opts)
		}
		rep.Results = append(rep.Results, res)
		name := res.Scenario.Name
		switch {
		case tap && res.Passed():
			fmt.Fprintf(progress, "ok %d - %s\n", i+1, name)
		case tap:
			fmt.Fprintf(progress, "not ok %d - %s\n  ---\n  file: %q\n  failures:\n", i+1, name, f)
			for _, fl := range res.Failures {
				fmt.Fprintf(progress, "    - %q\n", fl)
			}
			fmt.Fprintf(progress, "  ...\n")
		case res.Passed():
			fmt.Fprintf(progress, "PASS %s (%s) %s\n", name, f, res.Duration.Round(time.Millisecond))
		default:
			fmt.Fprintf(progress, "FAIL %s (%s) %s\n", name, f, res.Duration.Round(time.Millisecond))
			for _, fl := range res.Failures {
				fmt.Fprintf(progress, "    %s\n", strings.ReplaceAll(fl, "\n", "\n    "))
			}
		}
	}
	if tap {
		fmt.Fprintf(progress, "# %d passed, %d failed\n", rep.Passed(), rep.Failed())
	} else {
		fmt.Fprintf(progress, "%d passed, %d failed\n", rep.Passed(), rep.Failed())
	}
	return rep
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML, one test case per scenario.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "msyshost scenarios"}
	var total time.Duration
	for _, res := range r.Results {
		total += res.Duration
		c := junitCase{
			Name: res.Scenario.Name, ClassName: res.Scenario.File,
			Time:      fmt.Sprintf("%.3f", res.Duration.Seconds()),
			SystemOut: strings.Join(res.Printed, "\n"),
		}
		if !res.Passed() {
			c.Failure = &junitFailure{Message: res.Failures[0], Text: strings.Join(res.Failures, "\n")}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	suite.Failures = r.Failed()
	suite.Time = fmt.Sprintf("%.3f", total.Seconds())
	doc := junitSuites{Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
