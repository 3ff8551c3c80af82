// Package state records what the daemon has done, in one bbolt file, so that
// restarts, crashes and reinstalls never cause a second draft or a missed message.
//
// Every method is one bbolt transaction, and a write transaction is fsynced before
// the method returns. After a successful write the change survives a crash or a
// power cut; after a failed or interrupted one the file holds exactly what it held
// before the call. A record is never half-written. Separate calls are separate
// transactions: a crash between two calls keeps the first and loses the second.
//
// Layout. Values are JSON objects, so the file stays readable with bbolt's own tools
// and an older highroad ignores fields a newer one adds:
//
//	meta/
//	    schema               1
//	accounts/
//	    <account>/
//	        activity         Activity
//	        cutoff           time: mail that arrived before it is never answered
//	        unreadable_more  how many unreadable messages were past MaxUnreadable
//	        progress/
//	            <mailbox>    Progress
//	        rejections/
//	            <identity>   Rejection (the Message-ID, or a key made up in that form;
//	                         a draft the server refused waits here too)
//	        seen/
//	            <mailbox>    the UID ranges examined, under one UIDVALIDITY
//	        unreadable/
//	            <mailbox, UIDVALIDITY, UID>  Unreadable
//
// Accounts live under their own top-level bucket rather than at the top level so
// that no account name can collide with meta. Open refuses a file whose schema is
// newer than this package knows: failing to start is safe, misreading what was done
// is not. Rejections has no time index; it scans and sorts, which is cheap at the
// size of one person's job hunt and leaves no second copy to keep in step.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// lockTimeout bounds how long Open waits for another process to release the file.
const lockTimeout = 2 * time.Second

// schema is the layout version written to new files.
const schema = 1

var (
	bucketMeta       = []byte("meta")
	bucketAccounts   = []byte("accounts")
	bucketProgress   = []byte("progress")
	bucketRejections = []byte("rejections")
	keySchema        = []byte("schema")
	keyActivity      = []byte("activity")
)

// Store is an open state file. A *Store is safe for concurrent use by several
// goroutines: reads run in parallel, writes are serialised by bbolt. Only one
// process can hold the file at a time; Release lets go of it between bursts
// of work (the daemon does so while it waits for mail), so that `highroad
// status` can read it, and the next call takes it again.
type Store struct {
	path   string
	mu     sync.Mutex
	db     *bolt.DB // nil while released
	users  int      // transactions in progress
	closed bool
}

// Open opens the store at path, creating the file (mode 0600) and any missing parent
// directories (mode 0700). If another process holds the file, Open gives up after
// 2 s with an error that wraps bbolt's ErrTimeout and says so, instead of hanging.
// Open also fails on a file that is not a state file or was written by a newer
// highroad. The caller must Close the returned Store.
func Open(path string) (*Store, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state: create directory: %w", err)
	}
	_, statErr := os.Stat(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open state %q: locked by another process (is highroad already running?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %q: %w", path, err)
	}
	s := &Store{path: path, db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %q: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		syncDir(dir)
	}
	return s, nil
}

// init creates the top-level buckets and checks the schema version.
func (s *Store) init() error {
	return s.update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketAccounts); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		var got int
		ok, err := getJSON(meta, keySchema, &got)
		switch {
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		case !ok:
			return putJSON(meta, keySchema, schema)
		case got > schema:
			return fmt.Errorf("schema version %d is newer than this highroad understands (%d): upgrade highroad", got, schema)
		}
		return nil
	})
}

// syncDir makes a newly created file's directory entry durable. It is best effort:
// some filesystems refuse to fsync a directory, and the file's contents are already
// durable, so a failure here costs at most the empty store after a power cut.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Close releases the file and its lock. The Store must not be used afterwards;
// Close waits for transactions in progress to finish.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("close state: %w", err)
	}
	return nil
}

// Release closes the file if no transaction is in progress, releasing its
// lock for other processes; the next call on the Store opens it again.
// Release on a nil Store does nothing.
func (s *Store) Release() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil || s.users > 0 {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	return err
}

// acquire returns the open database, opening it again after a Release.
func (s *Store) acquire() (*bolt.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("state is closed")
	}
	if s.db == nil {
		db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: lockTimeout})
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open state %q: locked by another process: %w", s.path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open state %q: %w", s.path, err)
		}
		s.db = db
	}
	s.users++
	return s.db, nil
}

func (s *Store) done() {
	s.mu.Lock()
	s.users--
	s.mu.Unlock()
}

func (s *Store) view(f func(*bolt.Tx) error) error {
	db, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.done()
	return db.View(f)
}

func (s *Store) update(f func(*bolt.Tx) error) error {
	db, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.done()
	return db.Update(f)
}

// accountBucket returns an account's bucket, or nil when the account is unknown.
func accountBucket(tx *bolt.Tx, account string) *bolt.Bucket {
	return tx.Bucket(bucketAccounts).Bucket([]byte(account))
}

// subBucket returns one of an account's sub-buckets, or nil when there is none.
func subBucket(tx *bolt.Tx, account string, name []byte) *bolt.Bucket {
	b := accountBucket(tx, account)
	if b == nil {
		return nil
	}
	return b.Bucket(name)
}

// createAccount returns an account's bucket, creating it and its sub-buckets.
func createAccount(tx *bolt.Tx, account string) (*bolt.Bucket, error) {
	b, err := tx.Bucket(bucketAccounts).CreateBucketIfNotExists([]byte(account))
	if err != nil {
		return nil, err
	}
	for _, name := range [][]byte{bucketProgress, bucketRejections} {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// getJSON decodes the value at key into v. It reports false, without error, when
// the bucket is nil or the key is absent.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	if b == nil {
		return false, nil
	}
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// putJSON encodes v and stores it at key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// checkName rejects names that cannot be bbolt keys, with a message naming the field.
func checkName(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("empty %s", field)
	case len(v) > bolt.MaxKeySize:
		return fmt.Errorf("%s longer than %d bytes", field, bolt.MaxKeySize)
	}
	return nil
}
