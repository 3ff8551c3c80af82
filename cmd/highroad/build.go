package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
	"github.com/highroad/highroad/state"
)

// app is what a configuration makes. Every command builds it the same way,
// so that classify, draft, scan, run and demo judge and answer mail alike.
type app struct {
	cfg        *config.Config
	classifier *classifier.Classifier
	templates  *drafts.Templates
}

// load reads the configuration at path ("" for the default) and builds
// the app; its errors are configuration errors.
func load(path string) (*app, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, configError{err}
	}
	return newApp(cfg)
}

// loadAccounts is load for commands that need at least one account.
func loadAccounts(path string) (*app, error) {
	a, err := load(path)
	if err != nil {
		return nil, err
	}
	if err := a.cfg.NeedAccounts(); err != nil {
		return nil, configError{err}
	}
	return a, nil
}

func newApp(cfg *config.Config) (*app, error) {
	rules, err := cfg.Rules()
	if err != nil {
		return nil, configError{err}
	}
	c, err := classifier.New(rules, cfg.SelfAddresses()...)
	if err != nil {
		return nil, configError{err}
	}
	tmpls, err := cfg.LoadTemplates()
	if err != nil {
		return nil, configError{err}
	}
	return &app{cfg: cfg, classifier: c, templates: tmpls}, nil
}

// daemon builds the daemon for the app's accounts with the given options
// (store, log, events...); the configuration parts come from the app.
func (a *app) daemon(o daemon.Options) (*daemon.Daemon, error) {
	o.Config, o.Classifier, o.Templates = a.cfg, a.classifier, a.templates
	d, err := daemon.New(o)
	if err != nil {
		return nil, configError{err}
	}
	return d, nil
}

// openState opens the app's state file.
func (a *app) openState() (*state.Store, error) {
	return state.Open(a.cfg.StatePath())
}

// newLogger logs text lines to w from level up.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func defaultConfigName() string {
	if p := config.DefaultPath(); p != "" {
		return p
	}
	return "none"
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
