package state

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

var bucketSeen = []byte("seen")

// seenSet is the messages of one mailbox that highroad has examined, as
// sorted, disjoint, non-adjacent UID ranges: mail is handled in UID order,
// so a mailbox of any size stays a handful of ranges.
type seenSet struct {
	UIDValidity uint32      `json:"uid_validity"`
	Ranges      [][2]uint32 `json:"ranges"`
}

func (s *seenSet) add(uid uint32) {
	i, _ := slices.BinarySearchFunc(s.Ranges, uid, func(r [2]uint32, u uint32) int {
		switch {
		case r[1] < u:
			return -1
		case r[0] > u:
			return 1
		}
		return 0
	})
	if i < len(s.Ranges) && s.Ranges[i][0] <= uid && uid <= s.Ranges[i][1] {
		return
	}
	joinsLeft := i > 0 && s.Ranges[i-1][1]+1 == uid
	joinsRight := i < len(s.Ranges) && uid+1 == s.Ranges[i][0]
	switch {
	case joinsLeft && joinsRight:
		s.Ranges[i-1][1] = s.Ranges[i][1]
		s.Ranges = slices.Delete(s.Ranges, i, i+1)
	case joinsLeft:
		s.Ranges[i-1][1] = uid
	case joinsRight:
		s.Ranges[i][0] = uid
	default:
		s.Ranges = slices.Insert(s.Ranges, i, [2]uint32{uid, uid})
	}
}

func (s *seenSet) count() int {
	n := 0
	for _, r := range s.Ranges {
		n += int(r[1]-r[0]) + 1
	}
	return n
}

// MarkSeen records that the messages uids of a mailbox, numbered under
// uidValidity, have been examined. A new UIDVALIDITY starts the mailbox's
// record afresh, since its old numbers no longer name the same messages.
func (s *Store) MarkSeen(account, mailbox string, uidValidity uint32, uids []uint32) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkProgressKey(account, mailbox); err != nil {
			return err
		}
		acct, err := createAccount(tx, account)
		if err != nil {
			return err
		}
		b, err := acct.CreateBucketIfNotExists(bucketSeen)
		if err != nil {
			return err
		}
		var set seenSet
		if _, err := getJSON(b, []byte(mailbox), &set); err != nil {
			return err
		}
		if set.UIDValidity != uidValidity {
			set = seenSet{UIDValidity: uidValidity}
		}
		for _, u := range uids {
			set.add(u)
		}
		return putJSON(b, []byte(mailbox), set)
	})
	if err != nil {
		return fmt.Errorf("record messages seen in %q of %q: %w", mailbox, account, err)
	}
	return nil
}

// Seen returns how many distinct messages of an account highroad has
// examined, over all its mailboxes, however often it looked at them.
func (s *Store) Seen(account string) (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		if err := checkName("account", account); err != nil {
			return err
		}
		b := subBucket(tx, account, bucketSeen)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var set seenSet
			if _, err := getJSON(b, k, &set); err != nil {
				return err
			}
			n += set.count()
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("count messages seen in %q: %w", account, err)
	}
	return n, nil
}
