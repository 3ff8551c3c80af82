package state

import (
	"path/filepath"
	"testing"
)

func TestSeenCountsDistinctMessages(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mark := func(mailbox string, validity uint32, uids ...uint32) {
		t.Helper()
		if err := s.MarkSeen("work", mailbox, validity, uids); err != nil {
			t.Fatalf("MarkSeen(%s, %v): %v", mailbox, uids, err)
		}
	}
	want := func(n int) {
		t.Helper()
		if got, err := s.Seen("work"); err != nil || got != n {
			t.Errorf("Seen = %d, %v; want %d", got, err, n)
		}
	}
	want(0)
	mark("INBOX", 7, 1, 2, 3, 10, 11)
	want(5)
	mark("INBOX", 7, 1, 2, 3, 10, 11) // a scan over the same mail
	want(5)
	mark("INBOX", 7, 5, 4, 12, 9, 6, 8, 7) // fills the gap between the ranges
	want(12)
	mark("Jobs", 1, 1, 2)
	want(14)
	mark("INBOX", 8, 1) // renumbered: the old numbers mean nothing
	want(3)
}

func TestSeenSetStaysCompact(t *testing.T) {
	var set seenSet
	for u := uint32(1); u <= 1000; u += 2 {
		set.add(u)
	}
	for u := uint32(2); u <= 1000; u += 2 {
		set.add(u)
	}
	if len(set.Ranges) != 1 || set.Ranges[0] != [2]uint32{1, 1000} || set.count() != 1000 {
		t.Errorf("after adding 1..1000 out of order: %v (count %d), want one range 1:1000", set.Ranges, set.count())
	}
}
