package state

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var keyCutoff = []byte("cutoff")

// Cutoff returns the first-run cutoff of an account: no message that
// arrived before it is ever answered. It reports ok == false, with no
// error, when none is recorded yet.
func (s *Store) Cutoff(account string) (t time.Time, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if err := checkName("account", account); err != nil {
			return err
		}
		ok, err = getJSON(accountBucket(tx, account), keyCutoff, &t)
		return err
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read cutoff of %q: %w", account, err)
	}
	return t, ok, nil
}

// InitCutoff records t as the account's cutoff unless one is recorded
// already, durably, and returns the cutoff in force: the first one recorded
// stays for the life of the state file.
func (s *Store) InitCutoff(account string, t time.Time) (time.Time, error) {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkName("account", account); err != nil {
			return err
		}
		b, err := createAccount(tx, account)
		if err != nil {
			return err
		}
		var old time.Time
		if ok, err := getJSON(b, keyCutoff, &old); err != nil || ok {
			t = old
			return err
		}
		return putJSON(b, keyCutoff, t)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record cutoff of %q: %w", account, err)
	}
	return t, nil
}
