package state

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Progress is how far the daemon has got in one mailbox of one account.
type Progress struct {
	// UIDValidity is the mailbox's UIDVALIDITY when LastUID was recorded; if the
	// server reports another, LastUID no longer means anything.
	UIDValidity uint32 `json:"uid_validity"`
	// LastUID is the highest UID fully handled: every message up to it is done.
	LastUID uint32 `json:"last_uid"`
	// Scanned is when the mailbox was last fully checked.
	Scanned time.Time `json:"scanned,omitzero"`
}

// Progress returns the progress recorded for a mailbox of an account. It reports
// ok == false, with a zero Progress and no error, when none was ever recorded.
// Times come back with the same instant and UTC offset they were stored with.
func (s *Store) Progress(account, mailbox string) (Progress, bool, error) {
	var p Progress
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		if err := checkProgressKey(account, mailbox); err != nil {
			return err
		}
		var err error
		ok, err = getJSON(subBucket(tx, account, bucketProgress), []byte(mailbox), &p)
		return err
	})
	if err != nil {
		return Progress{}, false, fmt.Errorf("read progress of %q in %q: %w", mailbox, account, err)
	}
	return p, ok, nil
}

// SetProgress replaces the progress of a mailbox of an account, durably, creating
// the account if needed. account and mailbox must not be empty.
func (s *Store) SetProgress(account, mailbox string, p Progress) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkProgressKey(account, mailbox); err != nil {
			return err
		}
		b, err := createAccount(tx, account)
		if err != nil {
			return err
		}
		return putJSON(b.Bucket(bucketProgress), []byte(mailbox), p)
	})
	if err != nil {
		return fmt.Errorf("set progress of %q in %q: %w", mailbox, account, err)
	}
	return nil
}

func checkProgressKey(account, mailbox string) error {
	if err := checkName("account", account); err != nil {
		return err
	}
	return checkName("mailbox", mailbox)
}
