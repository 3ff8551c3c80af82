package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/highroad/highroad/drafts"
)

var draftCommand = &command{
	name: "draft", args: "FILE",
	summary: "print the reply highroad would draft for a rejection (\"-\" reads stdin)",
	help: `Reads FILE as a message and, when it is a rejection, prints the reply highroad
would append to Drafts, as RFC 5322 text.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		force := fs.Bool("force", false, "draft a reply even when the message is not a rejection")
		return func(e *env) error {
			if len(e.args) != 1 {
				return usagef("name one message file, or - for stdin")
			}
			a, err := load(e.config)
			if err != nil {
				return err
			}
			return draftFile(e, a, e.args[0], *force)
		}
	},
}

func draftFile(e *env, a *app, path string, force bool) error {
	m, err := readMessage(path, e.stdin)
	if err != nil {
		return err
	}
	res := a.classifier.Classify(m)
	if !res.Rejection && !force {
		return fmt.Errorf("%s is not a rejection (score %d, threshold %d); see 'highroad classify %s', or use -force",
			path, res.Score, res.Threshold, path)
	}
	r, err := drafts.Compose(m, res, a.cfg.Profile.Drafts(), drafts.Options{Now: time.Now(), Templates: a.templates})
	if err != nil {
		return err
	}
	b, err := r.Bytes()
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
