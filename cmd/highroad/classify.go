package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/highroad/highroad/classifier"
)

// verdict is the JSON form of one classification, one line per input.
type verdict struct {
	File           string           `json:"file"`
	Error          string           `json:"error,omitempty"`
	Rejection      bool             `json:"rejection"`
	Score          int              `json:"score"`
	Threshold      int              `json:"threshold"`
	Rules          []classifier.Hit `json:"rules"`
	Notes          []string         `json:"notes,omitempty"`
	ContactName    string           `json:"contact_name"`
	ContactAddress string           `json:"contact_address"`
	Company        string           `json:"company"`
	Role           string           `json:"role"`
	Stage          string           `json:"stage"`
	Language       string           `json:"language"`
}

func newVerdict(file string, r *classifier.Result) verdict {
	hits := r.Hits
	if hits == nil {
		hits = []classifier.Hit{}
	}
	return verdict{
		File: file, Rejection: r.Rejection, Score: r.Score, Threshold: r.Threshold, Rules: hits,
		Notes: r.Notes, ContactName: r.ContactName, ContactAddress: r.ContactAddress,
		Company: r.Company, Role: r.Role, Stage: string(r.Stage), Language: r.Language,
	}
}

var classifyCommand = &command{
	name: "classify", args: "FILE...",
	summary: "explain whether each message is a rejection (\"-\" reads stdin)",
	help: `Reads each FILE as a message (an .eml file, RFC 5322) and prints the verdict with
every rule that fired, its weight and the words it matched. The score is the sum
of the weights listed. The configuration's rule changes and profile apply, as
they do for highroad run.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		asJSON := fs.Bool("json", false, "print one JSON object per line per file")
		return func(e *env) error {
			if len(e.args) == 0 {
				return usagef("name at least one message file, or - for stdin")
			}
			a, err := load(e.config)
			if err != nil {
				return err
			}
			return classifyFiles(e, a.classifier, *asJSON)
		}
	},
}

func classifyFiles(e *env, c *classifier.Classifier, asJSON bool) error {
	failed := false
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, path := range e.args {
		m, err := readMessage(path, e.stdin)
		if err != nil {
			fmt.Fprintln(e.stderr, "highroad classify:", err)
			failed = true
			if asJSON {
				if err := enc.Encode(verdict{File: path, Error: err.Error(), Rules: []classifier.Hit{}}); err != nil {
					return err
				}
			}
			continue
		}
		res := c.Classify(m)
		if asJSON {
			if err := enc.Encode(newVerdict(path, res)); err != nil {
				return err
			}
			continue
		}
		explain(e.stdout, path, res)
	}
	if failed {
		return exitError{exitFailed}
	}
	return nil
}

// explain prints a classification for people: the verdict, what was
// read of the letter, and every rule that fired. The score is the sum of
// the weights listed under "evidence".
func explain(w io.Writer, name string, r *classifier.Result) {
	verdict := "not a rejection"
	if r.Rejection {
		verdict = "REJECTION"
	}
	fmt.Fprintf(w, "%s: %s (score %d, threshold %d)\n", name, verdict, r.Score, r.Threshold)
	fmt.Fprintf(w, "  language %s, stage %s\n", r.Language, r.Stage)
	field := func(label, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(w, "  %-8s %s\n", label, v)
	}
	field("contact", strings.TrimSpace(r.ContactName+" "+angle(r.ContactAddress)))
	field("company", r.Company)
	field("role", r.Role)
	var cues []classifier.Hit
	fmt.Fprintf(w, "  evidence (adds up to the score)\n")
	n := 0
	for _, h := range r.Hits {
		if !h.Counts() {
			cues = append(cues, h)
			continue
		}
		printHit(w, h)
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "    no rule fired")
	}
	if len(cues) > 0 {
		fmt.Fprintf(w, "  stage cues (decide the stage, not the score)\n")
		for _, h := range cues {
			printHit(w, h)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func printHit(w io.Writer, h classifier.Hit) {
	fmt.Fprintf(w, "    %+4d %-34s %-14s %q\n", h.Weight, h.Rule, h.Field, h.Match)
}

func angle(addr string) string {
	if addr == "" {
		return ""
	}
	return "<" + addr + ">"
}
