package main

import (
	"fmt"
	"io"
	"time"

	"github.com/highroad/highroad/drafts"
)

func runDraft(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfgPath string
	fs := newFlags("draft", stderr, &cfgPath)
	force := fs.Bool("force", false, "draft a reply even when the message is not a rejection")
	if fs.Parse(args) != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "highroad draft: name one message file, or - for stdin")
		return 2
	}
	cfg, c, err := setup(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	tmpls, err := cfg.LoadTemplates()
	if err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	path := fs.Arg(0)
	m, err := readMessage(path, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	res := c.Classify(m)
	if !res.Rejection && !*force {
		fmt.Fprintf(stderr, "highroad draft: %s is not a rejection (score %d, threshold %d); see 'highroad classify %s', or use -force\n",
			path, res.Score, res.Threshold, path)
		return 1
	}
	r, err := drafts.Compose(m, res, cfg.Profile.Drafts(), drafts.Options{Now: time.Now(), Templates: tmpls})
	if err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	b, err := r.Bytes()
	if err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintln(stderr, "highroad draft:", err)
		return 1
	}
	return 0
}
