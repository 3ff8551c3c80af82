package state

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestCutoffIsKeptFromTheFirstStart(t *testing.T) {
	s, path := openTemp(t)
	if _, ok, err := s.Cutoff("work"); ok || err != nil {
		t.Fatalf("Cutoff on a new store = _, %v, %v; want none", ok, err)
	}
	got, err := s.InitCutoff("work", t0)
	if err != nil || !got.Equal(t0) {
		t.Fatalf("InitCutoff(t0) = %v, %v; want t0", got, err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	later := t0.Add(30 * 24 * time.Hour)
	if got, err := s2.InitCutoff("work", later); err != nil || !got.Equal(t0) {
		t.Errorf("InitCutoff(later) after a restart = %v, %v; want the first cutoff %v kept", got, err, t0)
	}
	if got, ok, err := s2.Cutoff("work"); !ok || err != nil || !got.Equal(t0) {
		t.Errorf("Cutoff = %v, %v, %v; want %v", got, ok, err, t0)
	}
	if _, ok, _ := s2.Cutoff("other"); ok {
		t.Error("Cutoff of another account is set; cutoffs are per account")
	}
}

func TestWaitingDrafts(t *testing.T) {
	s, _ := openTemp(t)
	recs := []Rejection{
		{Account: "work", MessageID: "<done@x>", DraftID: "<d@x>"},
		{Account: "work", MessageID: "<late@x>", Refused: "[OVERQUOTA] quota exceeded", Attempts: 2, NextTry: t0.Add(time.Hour)},
		{Account: "work", MessageID: "<soon@x>", Refused: "[OVERQUOTA] quota exceeded", Attempts: 1, NextTry: t0},
		{Account: "home", MessageID: "<home@x>", Refused: "no", NextTry: t0},
		{Account: "work", MessageID: "<retried@x>", Refused: "old refusal", DraftID: "<d2@x>"},
	}
	for _, r := range recs {
		if err := s.PutRejection(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Waiting("work")
	if err != nil || len(got) != 2 || got[0].MessageID != "<soon@x>" || got[1].MessageID != "<late@x>" {
		t.Fatalf("Waiting(work) = %+v, %v; want soon then late", got, err)
	}
	if all, _ := s.Waiting(""); len(all) != 3 {
		t.Errorf("Waiting(\"\") = %d records, want 3", len(all))
	}
}

// TestOldRejectionRecordsStayReadable decodes a record as written before
// the fingerprint and retry fields existed.
func TestOldRejectionRecordsStayReadable(t *testing.T) {
	s, _ := openTemp(t)
	s.PutRejection(Rejection{Account: "work", MessageID: "<x@y>"}) // creates the buckets
	old := `{"account":"work","mailbox":"INBOX","message_id":"<old@y>","uid":7,"received":"2025-03-14T09:26:53Z","draft_id":"<d@y>","flagged":true}`
	err := s.update(func(tx *bolt.Tx) error {
		return subBucket(tx, "work", bucketRejections).Put([]byte("<old@y>"), []byte(old))
	})
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := s.Rejection("work", "<old@y>")
	if !ok || err != nil || r.UID != 7 || !r.Flagged || r.Fingerprint != "" || r.Waiting() {
		t.Errorf("Rejection(old record) = %+v, %v, %v; want it read with the new fields empty", r, ok, err)
	}
}
