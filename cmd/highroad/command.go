package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/highroad/highroad/daemon"
)

// A command is one of highroad's subcommands. Its usage, its -h text and
// the program's overview are all generated from these fields.
type command struct {
	name    string
	args    string // what follows the flags in the synopsis, such as "FILE..."
	summary string // one line for the overview
	help    string // paragraphs for -h; may be empty
	// flags defines the command's own flags on fs and returns the function
	// that runs the command once they are parsed.
	flags func(fs *flag.FlagSet) func(e *env) error
	// noArgs refuses positional arguments.
	noArgs bool
}

// env is what a running command gets: its streams, the -config path, the
// arguments left after the flags, and a context cancelled by Ctrl-C or
// SIGTERM.
type env struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	config         string
	args           []string
}

// commands in the order the overview lists them.
var commands []*command

func init() {
	commands = []*command{
		demoCommand, runCommand, checkCommand, scanCommand, statusCommand, initCommand,
		installCommand, uninstallCommand,
		controlCommand("start", "start the installed service"),
		controlCommand("stop", "stop the installed service"),
		controlCommand("restart", "restart the installed service (after an upgrade or a config change)"),
		classifyCommand, draftCommand, rulesCommand,
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Exit statuses. exitConfig (EX_CONFIG) means retrying cannot help: a
// broken configuration, a refused login, a missing mailbox; the systemd
// unit does not restart highroad on it.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	exitConfig = 78
)

// usageError is a mistake in how a command was called.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// configError is a configuration that cannot work as written.
type configError struct{ error }

func (e configError) Unwrap() error { return e.error }

// exitError ends a command with a status after it has said why itself,
// such as classify after some of its files could not be read.
type exitError struct{ status int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.status) }

// exitStatus maps a command's error to the process's exit status; this is
// the only place that does.
func exitStatus(err error) int {
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.status
	case errors.As(err, &usageError{}):
		return exitUsage
	case errors.As(err, &configError{}), daemon.IsPermanent(err):
		return exitConfig
	}
	return exitFailed
}

// execute parses args for c, runs it and reports its error.
func (c *command) execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	fs, run := c.flagSet(e)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		c.usage(stdout, fs)
		return exitOK
	}
	if err == nil && c.noArgs && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "highroad %s: %v\nusage: %s\n(highroad %s -h shows more)\n", c.name, err, c.synopsis(fs), c.name)
		return exitUsage
	}
	e.args = fs.Args()
	err = run(e)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(stderr, "highroad %s: %v\n", c.name, err)
		if errors.As(err, &usageError{}) {
			fmt.Fprintf(stderr, "usage: %s\n", c.synopsis(fs))
		}
	}
	return exitStatus(err)
}

// flagSet returns the command's flags, with -config stored in e, and the
// function that runs it.
func (c *command) flagSet(e *env) (*flag.FlagSet, func(*env) error) {
	fs := flag.NewFlagSet("highroad "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by execute, help on stdout
	fs.StringVar(&e.config, "config", "", "configuration `FILE` (default "+defaultConfigName()+")")
	return fs, c.flags(fs)
}

// synopsis is the command's one-line usage, made from its flags.
func (c *command) synopsis(fs *flag.FlagSet) string {
	var b strings.Builder
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		name, _ := flag.UnquoteUsage(f)
		if name == "" {
			fmt.Fprintf(&b, " [-%s]", f.Name)
		} else {
			fmt.Fprintf(&b, " [-%s %s]", f.Name, name)
		}
	})
	flags := b.String()
	if n > 6 { // too many to read on one line: -h lists them
		flags = " [flags]"
	}
	return strings.TrimSpace("highroad " + c.name + flags + " " + c.args)
}

// usage prints the command's -h text.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", c.synopsis(fs), upperFirst(c.summary))
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// overview prints the program's usage: every command and its summary.
func overview(w io.Writer) {
	fmt.Fprintf(w, "highroad recognises job-application rejections and drafts a gracious reply.\n\nusage:\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name)+1+len(c.args))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  highroad %-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "\nEvery command takes -config FILE (default: %s) and -h.\n", defaultConfigName())
}
