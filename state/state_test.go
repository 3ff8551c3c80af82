package state

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	t0     = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	berlin = time.FixedZone("CET", 3600)
)

// openTemp opens a fresh store in a temporary directory, closed at cleanup.
func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// utc makes times comparable with ==: JSON keeps instant and offset, not the
// *time.Location pointer.
func (r Rejection) utc() Rejection {
	r.Received, r.Drafted = r.Received.UTC(), r.Drafted.UTC()
	return r
}

func (p Progress) utc() Progress {
	p.Scanned = p.Scanned.UTC()
	return p
}

func (a Activity) utc() Activity {
	a.LastContact, a.LastErrorAt = a.LastContact.UTC(), a.LastErrorAt.UTC()
	return a
}

func TestProgressRoundTrip(t *testing.T) {
	tests := []struct {
		name             string
		account, mailbox string
		p                Progress
	}{
		{"typical", "work", "INBOX", Progress{UIDValidity: 1700000000, LastUID: 4711, Scanned: t0}},
		{"zero", "work", "Archive", Progress{}},
		{"max uid", "work", "Big", Progress{UIDValidity: 1<<32 - 1, LastUID: 1<<32 - 1, Scanned: t0}},
		{"utf-8 and slashes", "ich@example.org", "Bewerbungen/Absagen ä", Progress{UIDValidity: 3, LastUID: 9, Scanned: t0.In(berlin)}},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SetProgress(tt.account, tt.mailbox, tt.p); err != nil {
				t.Fatalf("SetProgress(%q, %q): %v", tt.account, tt.mailbox, err)
			}
			got, ok, err := s.Progress(tt.account, tt.mailbox)
			if err != nil || !ok || got.utc() != tt.p.utc() {
				t.Errorf("Progress(%q, %q) = %+v, %v, %v; want %+v, true, nil", tt.account, tt.mailbox, got, ok, err, tt.p)
			}
			_, gotOff := got.Scanned.Zone()
			if _, wantOff := tt.p.Scanned.Zone(); gotOff != wantOff {
				t.Errorf("Progress(%q, %q).Scanned offset = %d, want %d", tt.account, tt.mailbox, gotOff, wantOff)
			}
		})
	}
	for _, k := range [][2]string{{"work", "Nowhere"}, {"nobody", "INBOX"}} {
		if got, ok, err := s.Progress(k[0], k[1]); err != nil || ok || got != (Progress{}) {
			t.Errorf("Progress(%q, %q) = %+v, %v, %v; want zero, false, nil", k[0], k[1], got, ok, err)
		}
	}
}

func TestRejectionRoundTrip(t *testing.T) {
	full := Rejection{
		Account: "work", Mailbox: "INBOX", MessageID: "<abc@mail.acme.example>", UID: 42,
		Company: "Acme GmbH", Role: "Backend Engineer", Contact: "Jane Roe <jobs@acme.example>",
		Received: t0.In(berlin), DraftID: "<draft-1@highroad>", Drafted: t0.Add(time.Minute), Flagged: true,
	}
	undrafted := full
	undrafted.MessageID, undrafted.DraftID, undrafted.Drafted, undrafted.Flagged = "<def@x>", "", time.Time{}, false
	bare := Rejection{Account: "other", MessageID: "<min@x>"}
	tests := []struct {
		name string
		puts []Rejection // stored in order; the last one must come back
	}{
		{"full", []Rejection{full}},
		{"not yet drafted", []Rejection{undrafted}},
		{"only keys", []Rejection{bare}},
		{"replace adds draft", []Rejection{undrafted, func() Rejection { r := undrafted; r.DraftID = "<d2@h>"; return r }()}},
		{"replace clears fields", []Rejection{full, {Account: full.Account, MessageID: full.MessageID, UID: 7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTemp(t)
			for _, r := range tt.puts {
				if err := s.PutRejection(r); err != nil {
					t.Fatalf("PutRejection(%q): %v", r.MessageID, err)
				}
			}
			want := tt.puts[len(tt.puts)-1]
			got, ok, err := s.Rejection(want.Account, want.MessageID)
			if err != nil || !ok || got.utc() != want.utc() {
				t.Errorf("Rejection(%q, %q) = %+v, %v, %v;\nwant %+v, true, nil", want.Account, want.MessageID, got, ok, err, want)
			}
			if got, ok, err := s.Rejection(want.Account, "<missing@x>"); err != nil || ok || got != (Rejection{}) {
				t.Errorf("Rejection(%q, missing) = %+v, %v, %v; want zero, false, nil", want.Account, got, ok, err)
			}
		})
	}
}

func TestActivityRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	if got, err := s.Activity("work"); err != nil || got != (Activity{}) {
		t.Fatalf("Activity(unknown) = %+v, %v; want zero, nil", got, err)
	}
	want := Activity{LastContact: t0, LastError: "dial tcp: timeout", LastErrorAt: t0.In(berlin), Rejections: 3, Drafts: 10}
	if err := s.Record("work", func(a *Activity) { *a = want }); err != nil {
		t.Fatalf("Record: %v", err)
	}
	if err := s.Record("work", func(a *Activity) { a.Drafts++; a.LastError = "" }); err != nil {
		t.Fatalf("Record: %v", err)
	}
	want.Drafts, want.LastError = 11, ""
	if got, err := s.Activity("work"); err != nil || got.utc() != want.utc() {
		t.Errorf("Activity(%q) = %+v, %v; want %+v", "work", got, err, want)
	}
}

func TestRejectionsOrderAndLimit(t *testing.T) {
	s, _ := openTemp(t)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	for _, r := range []Rejection{
		{Account: "a", MessageID: "<a1>", Received: at(1)},
		{Account: "b", MessageID: "<b5>", Received: at(5).In(berlin)},
		{Account: "a", MessageID: "<a3>", Received: at(3)},
		{Account: "b", MessageID: "<b2>", Received: at(2)},
		{Account: "a", MessageID: "<a4>", Received: at(4)},
		{Account: "b", MessageID: "<b4>", Received: at(4)}, // tie with <a4>: account decides
		{Account: "c", MessageID: "<c0>"},                  // no Date: oldest
	} {
		if err := s.PutRejection(r); err != nil {
			t.Fatalf("PutRejection(%q): %v", r.MessageID, err)
		}
	}
	tests := []struct {
		account string
		n       int
		want    string
	}{
		{"", 0, "<b5> <a4> <b4> <a3> <b2> <a1> <c0>"},
		{"", -1, "<b5> <a4> <b4> <a3> <b2> <a1> <c0>"},
		{"", 3, "<b5> <a4> <b4>"},
		{"", 100, "<b5> <a4> <b4> <a3> <b2> <a1> <c0>"},
		{"a", 0, "<a4> <a3> <a1>"},
		{"a", 1, "<a4>"},
		{"b", 2, "<b5> <b4>"},
		{"nobody", 5, ""},
	}
	for _, tt := range tests {
		rs, err := s.Rejections(tt.account, tt.n)
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.MessageID)
		}
		if got := strings.Join(ids, " "); err != nil || got != tt.want {
			t.Errorf("Rejections(%q, %d) = %q, %v; want %q", tt.account, tt.n, got, err, tt.want)
		}
	}
}

func TestAccounts(t *testing.T) {
	s, _ := openTemp(t)
	if got, err := s.Accounts(); err != nil || len(got) != 0 {
		t.Fatalf("Accounts() on new store = %q, %v; want none", got, err)
	}
	s.Record("zeta", func(*Activity) {})
	s.SetProgress("Alpha", "INBOX", Progress{})
	s.PutRejection(Rejection{Account: "mid", MessageID: "<x>"})
	got, err := s.Accounts()
	if want := "Alpha mid zeta"; err != nil || strings.Join(got, " ") != want {
		t.Errorf("Accounts() = %q, %v; want %q", got, err, want)
	}
}

func TestInvalidArguments(t *testing.T) {
	s, _ := openTemp(t)
	long := strings.Repeat("x", bolt.MaxKeySize+1)
	tests := []struct {
		call string
		err  error
	}{
		{"SetProgress empty account", s.SetProgress("", "INBOX", Progress{})},
		{"SetProgress empty mailbox", s.SetProgress("work", "", Progress{})},
		{"SetProgress long mailbox", s.SetProgress("work", long, Progress{})},
		{"Progress empty mailbox", func() error { _, _, err := s.Progress("work", ""); return err }()},
		{"PutRejection empty Message-ID", s.PutRejection(Rejection{Account: "work"})},
		{"PutRejection empty account", s.PutRejection(Rejection{MessageID: "<x>"})},
		{"Rejection empty Message-ID", func() error { _, _, err := s.Rejection("work", ""); return err }()},
		{"Activity empty account", func() error { _, err := s.Activity(""); return err }()},
		{"Record empty account", s.Record("", func(*Activity) {})},
		{"Record nil func", s.Record("work", nil)},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: err = nil, want an error", tt.call)
		}
	}
	if got, err := s.Accounts(); err != nil || len(got) != 0 {
		t.Errorf("Accounts() after failed calls = %q, %v; want none", got, err)
	}
}

func TestCorruptRecordIsAnError(t *testing.T) {
	s, _ := openTemp(t)
	s.PutRejection(Rejection{Account: "work", MessageID: "<bad>"})
	err := s.db.Update(func(tx *bolt.Tx) error {
		return subBucket(tx, "work", bucketRejections).Put([]byte("<bad>"), []byte(`{"uid": "no`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Rejection("work", "<bad>"); err == nil || !strings.Contains(err.Error(), "<bad>") {
		t.Errorf("Rejection(corrupt) error = %v, want one naming <bad>", err)
	}
	if _, err := s.Rejections("", 0); err == nil {
		t.Errorf("Rejections(corrupt) error = nil, want an error")
	}
}

func TestRecordConcurrent(t *testing.T) {
	t.Parallel() // 1000 fsynced commits
	const goroutines, increments = 20, 50
	s, _ := openTemp(t)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*increments)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				errs <- s.Record("work", func(a *Activity) { a.Drafts++ })
				// A concurrent reader must never see a torn or decreasing value.
				if _, err := s.Activity("work"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Activity("work"); err != nil || got.Drafts != goroutines*increments {
		t.Errorf("Activity after %d concurrent Records: Drafts = %d, %v; want %d", goroutines*increments, got.Drafts, err, goroutines*increments)
	}
}

func TestSurvivesReopen(t *testing.T) {
	s, path := openTemp(t)
	p := Progress{UIDValidity: 5, LastUID: 99, Scanned: t0}
	r := Rejection{Account: "work", Mailbox: "INBOX", MessageID: "<r@x>", UID: 99, Company: "Acme", Received: t0.In(berlin), DraftID: "<d@x>", Drafted: t0, Flagged: true}
	a := Activity{LastContact: t0, Rejections: 1, Drafts: 7}
	s.SetProgress("work", "INBOX", p)
	s.PutRejection(r)
	s.Record("work", func(x *Activity) { *x = a })
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	defer s.Close()
	if got, ok, err := s.Progress("work", "INBOX"); err != nil || !ok || got.utc() != p.utc() {
		t.Errorf("Progress after reopen = %+v, %v, %v; want %+v", got, ok, err, p)
	}
	if got, ok, err := s.Rejection("work", "<r@x>"); err != nil || !ok || got.utc() != r.utc() {
		t.Errorf("Rejection after reopen = %+v, %v, %v; want %+v", got, ok, err, r)
	}
	if got, err := s.Activity("work"); err != nil || got.utc() != a.utc() {
		t.Errorf("Activity after reopen = %+v, %v; want %+v", got, err, a)
	}
}

func TestSecondOpenFails(t *testing.T) {
	t.Parallel() // spends the 2 s lock timeout
	first, path := openTemp(t)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		s, err := Open(path)
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		elapsed := time.Since(start)
		if !errors.Is(err, bolterrors.ErrTimeout) || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("second Open(%q) = %v; want a lock error wrapping bbolt's ErrTimeout", path, err)
		}
		// Generous above: the other parallel tests load the disk and the scheduler.
		if elapsed < lockTimeout/2 || elapsed > 5*lockTimeout/2 {
			t.Errorf("second Open took %v; want about %v", elapsed, lockTimeout)
		}
		t.Logf("second Open failed after %v: %v", elapsed.Round(time.Millisecond), err)
	case <-time.After(10 * lockTimeout):
		t.Fatalf("second Open(%q) still blocked after %v", path, 10*lockTimeout)
	}
	first.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the first Store closed: %v", err)
	}
	s.Close()
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	base := t.TempDir()
	path := filepath.Join(base, "missing", "deeper", "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	s.Close()
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{filepath.Join(base, "missing"), 0o700 | os.ModeDir},
		{filepath.Join(base, "missing", "deeper"), 0o700 | os.ModeDir},
		{path, 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil || fi.Mode() != c.want {
			t.Errorf("mode of %s = %v, %v; want %v", c.path, fi.Mode(), err, c.want)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(schema+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open(file with schema %d) = %v; want a schema error", schema+1, err)
	}
}

func TestOpenRejectsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path); err == nil {
		s.Close()
		t.Errorf("Open(text file) succeeded; want an error")
	}
}

// TestReleaseLetsOthersRead checks that a released store can be opened by
// another process (here, another Open of the same file) and that the first
// store takes the file back on its next call.
func TestReleaseLetsOthersRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SetProgress("acct", "INBOX", Progress{UIDValidity: 7, LastUID: 3}); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatalf("Open after Release: %v", err)
	}
	p, ok, err := b.Progress("acct", "INBOX")
	if err != nil || !ok || p.LastUID != 3 {
		t.Errorf("Progress read by the second store = %+v, %v, %v", p, ok, err)
	}
	b.Close()
	if err := a.SetProgress("acct", "INBOX", Progress{UIDValidity: 7, LastUID: 4}); err != nil {
		t.Errorf("SetProgress after the file was released and reopened: %v", err)
	}
}
