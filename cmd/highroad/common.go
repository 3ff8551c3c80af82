package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/message"
)

func defaultConfigName() string {
	if p := config.DefaultPath(); p != "" {
		return p
	}
	return "none"
}

// newFlags makes a flag set for a subcommand with the shared -config flag.
func newFlags(name string, stderr io.Writer, cfg *string) *flag.FlagSet {
	fs := flag.NewFlagSet("highroad "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(cfg, "config", "", "configuration `file` (default "+defaultConfigName()+")")
	return fs
}

// setup loads the configuration and compiles the classifier it describes.
func setup(path string) (*config.Config, *classifier.Classifier, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	rules, err := cfg.Rules()
	if err != nil {
		return nil, nil, err
	}
	c, err := classifier.New(rules, cfg.Profile.Address)
	if err != nil {
		return nil, nil, err
	}
	return cfg, c, nil
}

// maxInput bounds what is read of one message file.
const maxInput = 64 << 20

// readMessage parses the message in the file at path, or stdin for "-".
func readMessage(path string, stdin io.Reader) (*message.Message, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	m, err := message.Parse(io.LimitReader(r, maxInput))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
