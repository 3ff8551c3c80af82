// Command highroad watches a job seeker's mailbox for rejections, marks them
// and drafts a gracious follow-up in the Drafts folder. This file only
// dispatches to the subcommands, which command.go describes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		overview(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && lookup(args[1]) != nil {
			return lookup(args[1]).execute(context.Background(), []string{"-h"}, stdin, stdout, stderr)
		}
		overview(stdout)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "highroad: unknown command %q\n\n", args[0])
		overview(stderr)
		return exitUsage
	}
	// Catch signals before any work, so that a stop during start-up is a
	// clean one.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.execute(ctx, args[1:], stdin, stdout, stderr)
}
