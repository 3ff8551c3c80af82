// Command highroad watches a job seeker's mailbox for rejections, marks them
// and drafts a gracious follow-up in the Drafts folder. This file only
// dispatches to the subcommands.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/highroad/highroad/install"
)

const usage = `highroad recognises job-application rejections and drafts a gracious reply.

Usage:
  highroad demo                      watch a built-in IMAP server with sample mail, no account needed
  highroad run                       watch your mailboxes (what the service runs)
  highroad check                     check the configuration and connect to every account
  highroad scan [-since DATE] [-dry-run]  one pass over existing mail
  highroad status                    the service's state and what highroad has done
  highroad init [-yes] [flags]       write a configuration file, asking what the flags leave out
  highroad install [-system]         run highroad in the background, now and at every login (or boot)
  highroad uninstall [-system]       stop it and remove the service
  highroad start | stop | restart    control the installed service
  highroad classify [-json] FILE...  explain whether each message is a rejection ("-" reads stdin)
  highroad draft [-force] FILE       print the reply highroad would draft for a rejection
  highroad rules [-json]             print the rules in effect (defaults plus your changes)

Every command takes -config FILE (default: %s).
`

// command is a subcommand: it parses its own flags and returns the exit
// status.
type command func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

var commands = map[string]command{
	"classify":  runClassify,
	"draft":     runDraft,
	"rules":     runRules,
	"demo":      runDemo,
	"run":       runRun,
	"check":     runCheck,
	"scan":      runScan,
	"status":    runStatus,
	"init":      runInit,
	"install":   runInstall,
	"uninstall": runUninstall,
	"start":     control("start", (*install.Service).Start),
	"stop":      control("stop", (*install.Service).Stop),
	"restart":   control("restart", (*install.Service).Restart),
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, usage, defaultConfigName())
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "highroad: unknown command %q\n\n", args[0])
		fmt.Fprintf(stderr, usage, defaultConfigName())
		return 2
	}
	return cmd(args[1:], stdin, stdout, stderr)
}
