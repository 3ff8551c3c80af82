package state

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Rejection is one handled rejection, keyed by Account and MessageID.
// MessageID holds the rejection's identity key, which is its Message-ID
// unless that is missing or shared with a different rejection (the daemon
// then makes up one in Message-ID form).
type Rejection struct {
	Account string `json:"account"`
	Mailbox string `json:"mailbox"`
	// MessageID is the rejection's Message-ID, compared byte for byte: callers
	// normalise it (brackets, spaces) before storing or looking up.
	MessageID string    `json:"message_id"`
	UID       uint32    `json:"uid"`
	Company   string    `json:"company,omitempty"`
	Role      string    `json:"role,omitempty"`
	Contact   string    `json:"contact,omitempty"`
	Received  time.Time `json:"received,omitzero"` // the rejection's Date
	// DraftID is the Message-ID of the appended draft; empty until appended.
	DraftID string    `json:"draft_id,omitempty"`
	Drafted time.Time `json:"drafted,omitzero"`
	Flagged bool      `json:"flagged,omitempty"` // keyword stored on the server
	// Fingerprint is a digest of the rejection's sender, Date and subject,
	// which tells apart two rejections that share a Message-ID. Records
	// written before highroad kept it have none.
	Fingerprint string `json:"fingerprint,omitempty"`
	// UIDValidity is the mailbox's UIDVALIDITY when UID was recorded; zero in
	// older records.
	UIDValidity uint32 `json:"uid_validity,omitempty"`
	// Refused is the server's answer to the last refused APPEND of the
	// draft. While DraftID is empty and Refused is not, the draft is waiting:
	// Attempts counts the refusals and NextTry is when to try again.
	Refused  string    `json:"refused,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	NextTry  time.Time `json:"next_try,omitzero"`
}

// Waiting reports whether the server refused the draft and it is still to
// be appended.
func (r Rejection) Waiting() bool { return r.DraftID == "" && r.Refused != "" }

// Rejection looks up a rejection by account and Message-ID. It reports ok == false,
// with a zero Rejection and no error, when there is none. Times come back with the
// same instant and UTC offset they were stored with.
func (s *Store) Rejection(account, messageID string) (Rejection, bool, error) {
	var r Rejection
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		if err := checkRejectionKey(account, messageID); err != nil {
			return err
		}
		var err error
		ok, err = getJSON(subBucket(tx, account, bucketRejections), []byte(messageID), &r)
		return err
	})
	if err != nil {
		return Rejection{}, false, fmt.Errorf("read rejection %q of %q: %w", messageID, account, err)
	}
	return r, ok, nil
}

// PutRejection inserts r, or replaces the record with the same Account and
// MessageID, durably, creating the account if needed. Account and MessageID must
// not be empty. The whole record is replaced: fields left zero in r are cleared.
func (s *Store) PutRejection(r Rejection) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkRejectionKey(r.Account, r.MessageID); err != nil {
			return err
		}
		b, err := createAccount(tx, r.Account)
		if err != nil {
			return err
		}
		return putJSON(b.Bucket(bucketRejections), []byte(r.MessageID), r)
	})
	if err != nil {
		return fmt.Errorf("put rejection %q of %q: %w", r.MessageID, r.Account, err)
	}
	return nil
}

// Rejections returns the n most recent rejections of an account, or of all accounts
// when account is "", newest Received first; ties are ordered by Account, then
// MessageID. n <= 0 means all of them. An unknown account gives an empty result.
// The records come from one consistent snapshot of the store.
func (s *Store) Rejections(account string, n int) ([]Rejection, error) {
	var all []Rejection
	err := s.view(func(tx *bolt.Tx) error {
		return forEachAccount(tx, account, func(b *bolt.Bucket) error {
			return forEachRejection(b.Bucket(bucketRejections), func(r Rejection) {
				all = append(all, r)
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list rejections of %q: %w", account, err)
	}
	slices.SortFunc(all, newestFirst)
	if n > 0 && len(all) > n {
		all = all[:n:n]
	}
	return all, nil
}

// forEachAccount calls f with the bucket of the named account, or of every account
// when account is "".
func forEachAccount(tx *bolt.Tx, account string, f func(*bolt.Bucket) error) error {
	if account != "" {
		if b := accountBucket(tx, account); b != nil {
			return f(b)
		}
		return nil
	}
	accounts := tx.Bucket(bucketAccounts)
	return accounts.ForEachBucket(func(k []byte) error {
		return f(accounts.Bucket(k))
	})
}

// forEachRejection decodes every record in b, which may be nil.
func forEachRejection(b *bolt.Bucket, f func(Rejection)) error {
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, _ []byte) error {
		var r Rejection
		if _, err := getJSON(b, k, &r); err != nil {
			return err
		}
		f(r)
		return nil
	})
}

func newestFirst(a, b Rejection) int {
	if c := b.Received.Compare(a.Received); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.MessageID, b.MessageID))
}

func checkRejectionKey(account, messageID string) error {
	if err := checkName("account", account); err != nil {
		return err
	}
	return checkName("Message-ID", messageID)
}
