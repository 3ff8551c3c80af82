package state

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Activity is what an account has been doing, for `highroad status`.
type Activity struct {
	LastContact time.Time `json:"last_contact,omitzero"` // last successful exchange with the server
	LastError   string    `json:"last_error,omitempty"`  // empty after a success
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Rejections  int       `json:"rejections"` // rejections handled
	Drafts      int       `json:"drafts"`     // drafts appended
}

// Activity returns an account's activity; the zero Activity, without error, for an
// account with none recorded.
func (s *Store) Activity(account string) (Activity, error) {
	var a Activity
	err := s.view(func(tx *bolt.Tx) error {
		if err := checkName("account", account); err != nil {
			return err
		}
		_, err := getJSON(accountBucket(tx, account), keyActivity, &a)
		return err
	})
	if err != nil {
		return Activity{}, fmt.Errorf("read activity of %q: %w", account, err)
	}
	return a, nil
}

// Record updates an account's activity with f, atomically and durably: f gets the
// current value and its changes are stored in the same write transaction, so
// concurrent Records never lose an update. The account is created if needed.
//
// f runs while the store's single write lock is held: keep it short, and do not
// call Store methods from it, which would deadlock. If f panics nothing is stored
// and the panic propagates.
func (s *Store) Record(account string, f func(*Activity)) error {
	err := s.update(func(tx *bolt.Tx) error {
		return record(tx, account, f)
	})
	if err != nil {
		return fmt.Errorf("record activity of %q: %w", account, err)
	}
	return nil
}

func record(tx *bolt.Tx, account string, f func(*Activity)) error {
	if err := checkName("account", account); err != nil {
		return err
	}
	if f == nil {
		return errors.New("nil update function")
	}
	b, err := createAccount(tx, account)
	if err != nil {
		return err
	}
	var a Activity
	if _, err := getJSON(b, keyActivity, &a); err != nil {
		return err
	}
	f(&a)
	return putJSON(b, keyActivity, a)
}

// Accounts lists the accounts that have anything recorded, sorted bytewise (Go
// string order).
func (s *Store) Accounts() ([]string, error) {
	var names []string
	err := s.view(func(tx *bolt.Tx) error {
		// bbolt iterates keys in byte order, which is already Go's string order.
		return tx.Bucket(bucketAccounts).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return names, nil
}
