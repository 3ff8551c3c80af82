package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestStatusListsUnreadableMail: a message highroad cannot read is not
// dropped silently: after a scan, status names it with its UID and why.
func TestStatusListsUnreadableMail(t *testing.T) {
	cfg, _ := demoAccount(t, []byte("\r\n\r\nno header at all\r\n"), []byte(" only\r\n a continuation\r\n\r\nbody\r\n"))
	if _, errOut, status := runWith(t, cfg, "scan", "-since", "2000-01-01"); status != 0 {
		t.Fatalf("scan = %d: %s", status, errOut)
	}
	out, errOut, status := runWith(t, cfg, "status", "-offline")
	if status != 0 {
		t.Fatalf("status = %d: %s", status, errOut)
	}
	if !strings.Contains(out, "2 messages could not be read") {
		t.Errorf("status does not count the unreadable messages:\n%s", out)
	}
	for _, uid := range []string{"6", "7"} {
		if !regexp.MustCompile(`INBOX uid ` + uid + ` \(.*bytes, found .*\): not a mail message`).MatchString(out) {
			t.Errorf("status does not list uid %s with its size and reason:\n%s", uid, out)
		}
	}
}
