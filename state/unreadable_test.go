package state

import (
	"path/filepath"
	"testing"
	"time"
)

func TestUnreadableRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
	put := func(mailbox string, uid uint32, found time.Time, reason string) {
		t.Helper()
		u := Unreadable{Account: "work", Mailbox: mailbox, UIDValidity: 7, UID: uid, Reason: reason, Found: found}
		if err := s.PutUnreadable(u); err != nil {
			t.Fatalf("PutUnreadable(%s %d): %v", mailbox, uid, err)
		}
	}
	put("INBOX", 17, t0.Add(time.Hour), "no header")
	put("Jobs", 3, t0, "no header")
	put("INBOX", 17, t0.Add(2*time.Hour), "found again") // the first record stays
	s.Close()

	s, err = Open(path) // and it survives a restart
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, more, err := s.Unreadables("work")
	if err != nil || more != 0 || len(got) != 2 {
		t.Fatalf("Unreadables = %+v, %d, %v; want 2 records", got, more, err)
	}
	if got[0].Mailbox != "Jobs" || got[1].UID != 17 || got[1].Reason != "no header" || !got[1].Found.Equal(t0.Add(time.Hour)) {
		t.Errorf("Unreadables = %+v; want Jobs first (found first), then INBOX uid 17 as first recorded", got)
	}
	if none, _, err := s.Unreadables("home"); err != nil || len(none) != 0 {
		t.Errorf("Unreadables(home) = %v, %v; want none", none, err)
	}
}

func TestUnreadableIsBounded(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for uid := uint32(1); uid <= MaxUnreadable+5; uid++ {
		if err := s.PutUnreadable(Unreadable{Account: "work", Mailbox: "INBOX", UID: uid, Reason: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	got, more, err := s.Unreadables("work")
	if err != nil || len(got) != MaxUnreadable || more != 5 {
		t.Errorf("Unreadables = %d records, %d more, %v; want %d and 5 more", len(got), more, err, MaxUnreadable)
	}
}
