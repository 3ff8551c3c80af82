package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/highroad/highroad/daemon"
)

// TestHelp asks every command for -h: it exits 0 and prints the command's
// synopsis and flags on stdout.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			fs, _ := c.flagSet(&env{})
			for _, h := range []string{"-h", "-help", "--help"} {
				var out, errb bytes.Buffer
				status := run([]string{c.name, h}, nil, &out, &errb)
				if status != 0 {
					t.Errorf("highroad %s %s exited %d, want 0 (stderr %q)", c.name, h, status, errb.String())
				}
				if !strings.Contains(out.String(), "usage: "+c.synopsis(fs)) || !strings.Contains(out.String(), "-config") {
					t.Errorf("highroad %s %s printed no synopsis and flags:\n%s", c.name, h, out.String())
				}
			}
			var out, errb bytes.Buffer
			if status := run([]string{"help", c.name}, nil, &out, &errb); status != 0 || !strings.Contains(out.String(), c.synopsis(fs)) {
				t.Errorf("highroad help %s = %d:\n%s", c.name, status, out.String())
			}
		})
	}
	var out, errb bytes.Buffer
	if status := run([]string{"-h"}, nil, &out, &errb); status != 0 {
		t.Errorf("highroad -h exited %d, want 0", status)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), "highroad "+strings.TrimSpace(c.name+" "+c.args)) {
			t.Errorf("the overview lacks %s:\n%s", c.name, out.String())
		}
	}
}

func TestFileCommandsNameFILE(t *testing.T) {
	for _, name := range []string{"classify", "draft"} {
		var out, errb bytes.Buffer
		run([]string{name, "-h"}, nil, &out, &errb)
		if !strings.Contains(out.String(), "FILE") {
			t.Errorf("highroad %s -h does not name FILE:\n%s", name, out.String())
		}
		_, errOut, status := runCmd(t, "", name)
		if status != exitUsage || !strings.Contains(errOut, "usage: highroad "+name+" [-config FILE]") {
			t.Errorf("highroad %s without a file = %d %q; want 2 and the synopsis", name, status, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "-frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"scan", "-since", "yesterday"}, "write the date as YYYY-MM-DD"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "-log-level", "loud"}, "-log-level"},
	}
	for _, c := range cases {
		_, errOut, status := runCmd(t, "", c.args...)
		if status != exitUsage || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "usage: highroad "+c.args[0]) {
			t.Errorf("highroad %v = %d %q; want 2, %q and the synopsis", c.args, status, errOut, c.want)
		}
	}
}

func TestExitStatus(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{usagef("bad"), 2},
		{configError{errors.New("x.yaml:3: bad")}, 78},
		{fmt.Errorf("account: %w", &daemon.PermanentError{Err: errors.New("login refused")}), 78},
		{exitError{1}, 1},
		{errors.New("connection reset"), 1},
	}
	for _, c := range cases {
		if got := exitStatus(c.err); got != c.want {
			t.Errorf("exitStatus(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// TestClassifyScoreAddsUp reads classify's explanation of every sample in
// the corpus's first sets and adds up what it lists.
func TestClassifyScoreAddsUp(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/corpus/rej-en/*.eml")
	if len(files) > 40 {
		files = files[:40]
	}
	out, _, status := runCmd(t, "", append([]string{"classify"}, files...)...)
	if status != 0 {
		t.Fatalf("classify exited %d", status)
	}
	checkSums(t, out)
}

// TestNoConfigSaysInit runs the commands that need an account on a machine
// with no configuration: each says to run highroad init.
func TestNoConfigSaysInit(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	for _, name := range []string{"run", "check", "scan", "install"} {
		var out, errb bytes.Buffer
		status := run([]string{name}, nil, &out, &errb)
		if status != exitConfig || !strings.Contains(errb.String(), `create one with "highroad init"`) {
			t.Errorf("highroad %s without a configuration = %d %q; want %d and advice to run highroad init", name, status, errb.String(), exitConfig)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	var out, errb bytes.Buffer
	status := run([]string{"check", "-config", missing}, nil, &out, &errb)
	if status != exitConfig || !strings.Contains(errb.String(), `"highroad init -config `+missing+`"`) {
		t.Errorf("check -config %s = %d %q; want advice to run highroad init -config", missing, status, errb.String())
	}
}
