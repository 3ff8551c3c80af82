package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
	"github.com/highroad/highroad/samples"
)

// runDemo classifies the built-in sample messages and prints the draft for
// each rejection, so a newcomer sees highroad's judgement without a mail
// account.
func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("demo", stderr, &cfgPath)
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, c, err := setup(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "highroad demo:", err)
		return 1
	}
	tmpls, err := cfg.LoadTemplates()
	if err != nil {
		fmt.Fprintln(stderr, "highroad demo:", err)
		return 1
	}
	rule := strings.Repeat("─", 72)
	for _, s := range samples.All() {
		m, err := message.Parse(bytes.NewReader(s.Raw))
		if err != nil {
			fmt.Fprintf(stderr, "highroad demo: %s: %v\n", s.Name, err)
			return 1
		}
		fmt.Fprintln(stdout, rule)
		fmt.Fprintf(stdout, "From: %s\nSubject: %s\n\n", m.From, m.Subject)
		res := c.Classify(m)
		explain(stdout, s.Name, res)
		if !res.Rejection {
			fmt.Fprintln(stdout, "\n  → left alone: no keyword, no draft")
			continue
		}
		r, err := drafts.Compose(m, res, cfg.Profile.Drafts(), drafts.Options{Now: time.Now(), Templates: tmpls})
		if err != nil {
			fmt.Fprintf(stderr, "highroad demo: %s: %v\n", s.Name, err)
			return 1
		}
		fmt.Fprintf(stdout, "\n  → marked $JobRejection; this draft goes to Drafts:\n\n")
		printDraft(stdout, r)
	}
	fmt.Fprintln(stdout, rule)
	fmt.Fprintln(stdout, "Try it on your own mail: highroad classify FILE.eml, highroad draft FILE.eml")
	return 0
}

// printDraft shows a draft as a mail client would, decoded.
func printDraft(w io.Writer, r *drafts.Reply) {
	to := "(nobody: the sender is a robot; fill in the recruiter's address)"
	if len(r.To) > 0 {
		to = r.To[0].String()
	}
	fmt.Fprintf(w, "    From:    %s\n    To:      %s\n    Subject: %s\n\n", r.From, to, r.Subject)
	for _, l := range strings.Split(strings.TrimRight(r.Body, "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", l)
	}
}
