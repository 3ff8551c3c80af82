package main

import (
	"encoding/json"
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

func runClassify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("classify", stderr, &cfgPath)
	asJSON := fs.Bool("json", false, "print one JSON object per line per file")
	if fs.Parse(args) != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "highroad classify: name at least one message file, or - for stdin")
		return 2
	}
	_, c, err := setup(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "highroad classify:", err)
		return 1
	}
	status := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		m, err := readMessage(path, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "highroad classify:", err)
			status = 1
			if *asJSON {
				if err := enc.Encode(verdict{File: path, Error: err.Error(), Rules: []classifier.Hit{}}); err != nil {
					fmt.Fprintln(stderr, "highroad classify:", err)
					return 1
				}
			}
			continue
		}
		res := c.Classify(m)
		if *asJSON {
			if err := enc.Encode(newVerdict(path, res)); err != nil {
				fmt.Fprintln(stderr, "highroad classify:", err)
				return 1
			}
			continue
		}
		explain(stdout, path, res)
	}
	return status
}

// explain prints a classification for people.
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
	if len(r.Hits) == 0 {
		fmt.Fprintln(w, "  no rule fired")
	}
	for _, h := range r.Hits {
		fmt.Fprintf(w, "  %+4d %-34s %-14s %q\n", h.Weight, h.Rule, h.Field, h.Match)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func angle(addr string) string {
	if addr == "" {
		return ""
	}
	return "<" + addr + ">"
}
