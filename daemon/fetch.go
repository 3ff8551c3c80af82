package daemon

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// maxText is how much of a message's body is fetched: enough for any
// rejection's wording, and a bound on memory for 25 MB messages.
const maxText = 128 << 10

// batch is how many messages one FETCH asks for.
const batch = 200

// fetched is one message as read from the server.
type fetched struct {
	uid   imap.UID
	flags []imap.Flag
	size  int64
	date  time.Time // INTERNALDATE: when the server received it
	raw   []byte    // the header, a blank line and the start of the body
}

// selectMailbox selects name read-write (the keyword needs it) and notes
// whether the mailbox accepts the keyword.
func (s *session) selectMailbox(name string) (*imap.SelectData, error) {
	return s.open(name, false)
}

// open selects name, or examines it (read-only) when readOnly is set.
func (s *session) open(name string, readOnly bool) (*imap.SelectData, error) {
	var data *imap.SelectData
	err := s.wait(func() (err error) {
		data, err = s.c.Select(name, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		return err
	})
	if err != nil {
		var e *imap.Error
		if errors.As(err, &e) && e.Type == imap.StatusResponseTypeNo &&
			(e.Code == imap.ResponseCodeNonExistent || e.Code == imap.ResponseCodeNoPerm || e.Code == "") {
			return nil, permanent(fmt.Errorf("select %q: the mailbox does not exist or cannot be opened: %w", name, err))
		}
		return nil, fmt.Errorf("select %q: %w", name, err)
	}
	s.selected = name
	// A SELECT answers EXISTS itself, so mail that arrived just before it
	// never reaches the push handler: compare with what was handled.
	if last, ok := s.lastUID[name]; ok && data.UIDNext > 0 && uint32(data.UIDNext)-1 > last {
		s.signal()
	}
	if readOnly {
		return data, nil // an examined mailbox says nothing of what may be stored
	}
	s.keywordOK = false
	for _, f := range data.PermanentFlags {
		if f == imap.FlagWildcard || strings.EqualFold(string(f), string(s.keyword)) {
			s.keywordOK = true
		}
	}
	if !s.keywordOK && !s.keywordNote {
		s.log.Warn("the server does not accept custom keywords here; rejections will get drafts but no keyword",
			"mailbox", name, "keyword", string(s.keyword))
		s.keywordNote = true
	}
	return data, nil
}

// search returns the UIDs matching criteria in the selected mailbox.
func (s *session) search(criteria *imap.SearchCriteria) ([]imap.UID, error) {
	var data *imap.SearchData
	err := s.wait(func() (err error) {
		data, err = s.c.UIDSearch(criteria, nil).Wait()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", s.selected, err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return uids, nil
}

// newUIDs returns the UIDs above last in the mailbox just selected (data is
// its SELECT answer), in order. It asks with UID FETCH, not UID SEARCH:
// some servers (GNU Mailutils imap4d) answer UID SEARCH UID n:* with
// nothing. When UIDNEXT shows nothing above last, it asks nothing: mail
// arriving after the SELECT is announced by EXISTS.
func (s *session) newUIDs(data *imap.SelectData, last imap.UID) ([]imap.UID, error) {
	if data.NumMessages == 0 || (data.UIDNext > 0 && data.UIDNext-1 <= last) {
		return nil, nil
	}
	var uids []imap.UID
	err := s.waitLive(func(alive func()) error {
		cmd := s.c.Fetch(imap.UIDSet{imap.UIDRange{Start: last + 1, Stop: 0}}, &imap.FetchOptions{UID: true})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			alive()
			b, err := msg.Collect()
			if err != nil {
				cmd.Close()
				return err
			}
			// "n:*" always includes the highest UID, even below n.
			if b.UID > last {
				uids = append(uids, b.UID)
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("look for new mail in %q: %w", s.selected, err)
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetch reads the header and the start of the text of each UID, never
// setting \Seen, and passes each message to f as it arrives. Sections are
// fetched raw and parsed locally: a server's malformed ENVELOPE or
// BODYSTRUCTURE would kill the connection.
func (s *session) fetch(uids []imap.UID, f func(fetched)) error {
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	text := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true,
		Partial: &imap.SectionPartial{Offset: 0, Size: maxText}}
	opts := &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{header, text}}
	// The timeout restarts with every message, so that a slow link makes
	// progress instead of failing the whole batch over and over.
	err := s.waitLive(func(alive func()) error {
		cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			alive()
			b, err := msg.Collect()
			if err != nil {
				cmd.Close()
				return err
			}
			raw := make([]byte, 0, len(b.FindBodySection(header))+len(b.FindBodySection(text)))
			raw = append(append(raw, b.FindBodySection(header)...), b.FindBodySection(text)...)
			f(fetched{uid: b.UID, flags: b.Flags, size: b.RFC822Size, date: b.InternalDate, raw: raw})
		}
		return cmd.Close()
	})
	if err != nil {
		return fmt.Errorf("fetch from %q: %w", s.selected, err)
	}
	return nil
}

// since returns the UIDs of messages received since t.
func (s *session) since(t time.Time) ([]imap.UID, error) {
	return s.search(&imap.SearchCriteria{Since: t})
}

func isNo(err error) bool {
	var e *imap.Error
	return errors.As(err, &e) && e.Type == imap.StatusResponseTypeNo
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}
