package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketUnreadable holds, per account, the messages highroad could not
// read, keyed by mailbox, UIDVALIDITY and UID; keyUnreadableMore counts
// those past MaxUnreadable.
var (
	bucketUnreadable  = []byte("unreadable")
	keyUnreadableMore = []byte("unreadable_more")
)

// MaxUnreadable bounds the unreadable messages kept per account, so that a
// mailbox full of junk cannot grow the state file without end. Past it,
// PutUnreadable only counts them (a message found again counts again).
const MaxUnreadable = 1000

// Unreadable is a message highroad could not read even tolerantly, and so
// could not judge: status lists it so that a rejection is never silently
// missed.
type Unreadable struct {
	Account     string    `json:"account"`
	Mailbox     string    `json:"mailbox"`
	UIDValidity uint32    `json:"uid_validity"`
	UID         uint32    `json:"uid"`
	Size        int64     `json:"size,omitempty"`
	Date        time.Time `json:"date,omitzero"`     // the message's Date, when known
	Subject     string    `json:"subject,omitempty"` // when known
	Reason      string    `json:"reason"`            // why it could not be read
	Found       time.Time `json:"found"`             // when highroad first failed to read it
}

func unreadableKey(mailbox string, validity, uid uint32) []byte {
	k := make([]byte, 0, len(mailbox)+9)
	k = append(append(k, mailbox...), 0)
	k = binary.BigEndian.AppendUint32(k, validity)
	return binary.BigEndian.AppendUint32(k, uid)
}

// PutUnreadable records u, durably, unless the same message is already
// recorded (its first record, with the time it was found, is kept). Past
// MaxUnreadable records for the account it only counts u.
func (s *Store) PutUnreadable(u Unreadable) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkProgressKey(u.Account, u.Mailbox); err != nil {
			return err
		}
		acct, err := createAccount(tx, u.Account)
		if err != nil {
			return err
		}
		b, err := acct.CreateBucketIfNotExists(bucketUnreadable)
		if err != nil {
			return err
		}
		key := unreadableKey(u.Mailbox, u.UIDValidity, u.UID)
		switch {
		case b.Get(key) != nil:
			return nil
		case b.Stats().KeyN >= MaxUnreadable:
			var n int
			if _, err := getJSON(acct, keyUnreadableMore, &n); err != nil {
				return err
			}
			return putJSON(acct, keyUnreadableMore, n+1)
		}
		return putJSON(b, key, u)
	})
	if err != nil {
		return fmt.Errorf("record unreadable uid %d in %q of %q: %w", u.UID, u.Mailbox, u.Account, err)
	}
	return nil
}

// Unreadables returns an account's unreadable messages, oldest found
// first, and how many more were found past MaxUnreadable.
func (s *Store) Unreadables(account string) (list []Unreadable, more int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if err := checkName("account", account); err != nil {
			return err
		}
		if _, err := getJSON(accountBucket(tx, account), keyUnreadableMore, &more); err != nil {
			return err
		}
		b := subBucket(tx, account, bucketUnreadable)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			var u Unreadable
			if _, err := getJSON(b, k, &u); err != nil {
				return err
			}
			list = append(list, u)
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read unreadable messages of %q: %w", account, err)
	}
	slices.SortStableFunc(list, func(a, b Unreadable) int { return a.Found.Compare(b.Found) })
	return list, more, nil
}
