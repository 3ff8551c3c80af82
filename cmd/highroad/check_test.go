package main

import (
	"strings"
	"testing"
)

// TestCheckListsMailboxes: check shows the mailboxes the server lists and
// which one it took for Drafts, and why (the README promises it).
func TestCheckListsMailboxes(t *testing.T) {
	cfg, _ := demoAccount(t)
	out, errOut, status := runWith(t, cfg, "check")
	if status != 0 {
		t.Fatalf("check = %d: %s", status, errOut)
	}
	for _, want := range []string{"  mailboxes    Drafts, INBOX, Sent\n", "  drafts       Drafts (named as drafts: says)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}
