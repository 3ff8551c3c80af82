package state

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Waiting returns the rejections of an account, or of all accounts when
// account is "", whose draft the server refused and that are still to be
// drafted (Rejection.Waiting), soonest NextTry first, from one consistent
// snapshot.
func (s *Store) Waiting(account string) ([]Rejection, error) {
	var out []Rejection
	err := s.view(func(tx *bolt.Tx) error {
		return forEachAccount(tx, account, func(b *bolt.Bucket) error {
			return forEachRejection(b.Bucket(bucketRejections), func(r Rejection) {
				if r.Waiting() {
					out = append(out, r)
				}
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list waiting drafts of %q: %w", account, err)
	}
	slices.SortStableFunc(out, func(a, b Rejection) int { return a.NextTry.Compare(b.NextTry) })
	return out, nil
}
