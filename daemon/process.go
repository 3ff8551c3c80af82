package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
	"github.com/highroad/highroad/state"
)

// catchUp handles every message of mailbox that arrived since the last
// pass. On the first pass, and after the server renumbered the mailbox
// (UIDVALIDITY changed), only mail of the first-run window is considered.
func (s *session) catchUp(ctx context.Context, mailbox string) error {
	s.passStart = time.Now()
	data, err := s.selectMailbox(mailbox)
	if err != nil {
		return err
	}
	s.validity = data.UIDValidity
	prog, known, err := s.d.Store.Progress(s.a.Name, mailbox)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	var uids []imap.UID
	if known && prog.UIDValidity == data.UIDValidity {
		uids, err = s.newUIDs(imap.UID(prog.LastUID))
	} else {
		if known {
			s.log.Warn("the server renumbered the mailbox; re-checking the first-run window", "mailbox", mailbox)
		}
		since := s.d.now().Add(-time.Duration(s.a.FirstRunWindow))
		if uids, err = s.since(since); err != nil {
			return err
		}
		// Mail older than the window counts as handled; the window's mail
		// is handled in UID order, each recorded as it is done.
		prog = state.Progress{UIDValidity: data.UIDValidity}
		switch {
		case len(uids) > 0:
			prog.LastUID = uint32(uids[0]) - 1
		case data.UIDNext > 0:
			prog.LastUID = uint32(data.UIDNext) - 1
		}
		if err := s.saveProgress(mailbox, prog); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	for len(uids) > 0 && ctx.Err() == nil {
		n := min(batch, len(uids))
		if err := s.handleBatch(ctx, mailbox, uids[:n], &prog); err != nil {
			return err
		}
		uids = uids[n:]
	}
	if ctx.Err() != nil {
		return nil
	}
	prog.Scanned = s.d.now()
	s.lastUID[mailbox] = prog.LastUID
	return s.saveProgress(mailbox, prog)
}

func (s *session) saveProgress(mailbox string, p state.Progress) error {
	if s.d.DryRun {
		return nil
	}
	if err := s.d.Store.SetProgress(s.a.Name, mailbox, p); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// handleBatch handles one FETCH's worth of messages and then records the
// progress and counts: one state write per batch, not per message. A crash
// in between only means those messages are looked at again, and a rejection
// among them finds its draft already in Drafts. Messages are parsed and
// classified as they stream in; the rejections are acted on once the FETCH
// is over, since no other command can be answered before it is.
func (s *session) handleBatch(ctx context.Context, mailbox string, uids []imap.UID, prog *state.Progress) error {
	var rejections []decision
	var others []Event
	err := s.fetch(uids, func(m fetched) {
		d := s.decide(mailbox, m)
		if d.ev.Rejection {
			rejections = append(rejections, d)
		} else {
			others = append(others, d.ev)
		}
	})
	if err != nil {
		return err
	}
	// Events go out only after the FETCH: a slow reader must never hold up
	// the connection's reader.
	for _, ev := range others {
		s.emit(ev)
	}
	for _, d := range rejections {
		if ctx.Err() != nil {
			return nil // finish the message in hand, start no other
		}
		if err := s.act(mailbox, d); err != nil {
			return err
		}
	}
	for _, u := range uids {
		prog.LastUID = max(prog.LastUID, uint32(u))
	}
	if s.d.DryRun {
		return nil
	}
	seen := make([]uint32, len(uids))
	for i, u := range uids {
		seen[i] = uint32(u)
	}
	if err := s.d.Store.MarkSeen(s.a.Name, mailbox, s.validity, seen); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if s.scanning {
		return nil
	}
	return s.saveProgress(mailbox, *prog)
}

// decision is what was decided about one message.
type decision struct {
	m   fetched
	msg *message.Message
	res *classifier.Result
	ev  Event
}

// decide parses and classifies one message, and logs the decision.
func (s *session) decide(mailbox string, m fetched) decision {
	d := decision{m: m, ev: Event{Account: s.a.Name, Mailbox: mailbox, UID: uint32(m.uid), Bytes: len(m.raw)}}
	log := s.log.With("mailbox", mailbox, "uid", uint32(m.uid))
	switch {
	case hasFlag(m.flags, imap.FlagDraft):
		d.ev.Skipped = "a draft"
	case hasFlag(m.flags, imap.FlagAnswered):
		d.ev.Skipped = "already answered"
	case hasFlag(m.flags, imap.FlagDeleted):
		d.ev.Skipped = "deleted"
	case hasFlag(m.flags, s.keyword):
		// highroad stores the keyword only after the draft is in Drafts.
		d.ev.Skipped, d.ev.Handled = "already flagged", true
	}
	if d.ev.Skipped != "" && !d.ev.Handled {
		log.Debug("passed over", "why", d.ev.Skipped)
		return d
	}
	msg, err := message.Parse(bytes.NewReader(m.raw))
	if err != nil {
		log.Warn("passed over: not a readable message (highroad status lists it)", "err", err, "size", m.size)
		d.ev.Skipped = "unreadable"
		s.recordUnreadable(mailbox, m, err)
		return d
	}
	d.ev.MessageID, d.ev.Date, d.ev.Subject = msg.MessageID, msg.Date, msg.Subject
	d.ev.From = msg.From.Addr
	if msg.From.Name != "" {
		d.ev.From = msg.From.Name + " <" + msg.From.Addr + ">"
	}
	if d.ev.Handled {
		log.Debug("passed over", "why", d.ev.Skipped)
		return d
	}
	res, err := s.classify(msg)
	if err != nil {
		log.Error("passed over", "err", err)
		d.ev.Skipped = "internal error"
		return d
	}
	d.msg, d.res = msg, res
	d.ev.Rejection, d.ev.Result = res.Rejection, res
	log.Info("decision", "message_id", msg.MessageID, "rejection", res.Rejection, "score", res.Score,
		"threshold", res.Threshold, "rules", ruleIDs(res))
	return d
}

// act appends the draft for a rejection and then stores the keyword. The
// order makes a crash safe: a draft that exists is found again in Drafts
// by the rejection's Message-ID, so a rejection is never drafted twice, and
// an unflagged one is never skipped.
func (s *session) act(mailbox string, d decision) error {
	m, msg, res, ev := d.m, d.msg, d.res, d.ev
	log := s.log.With("mailbox", mailbox, "uid", uint32(m.uid))
	key := rejectionKey(msg)
	rec, _, err := s.d.Store.Rejection(s.a.Name, key)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	rec = state.Rejection{Account: s.a.Name, Mailbox: mailbox, MessageID: key, UID: uint32(m.uid),
		Company: res.Company, Role: res.Role, Contact: res.ContactName, Received: msg.Date,
		DraftID: rec.DraftID, Drafted: rec.Drafted, Flagged: rec.Flagged}
	if s.d.DryRun {
		log.Info("would flag and draft", "company", res.Company, "role", res.Role)
		s.emit(ev)
		return nil
	}
	if rec.DraftID == "" {
		if rec.DraftID, err = s.ensureDraft(msg, res, key); err != nil {
			var skip *skipError
			if errors.As(err, &skip) {
				// This message cannot be answered (no sender address, a
				// draft the server refuses): say so and go on with the
				// next one rather than stopping the account.
				log.Error("passed over: no draft", "message_id", msg.MessageID, "err", skip.err)
				ev.Skipped = "no draft: " + skip.err.Error()
				s.emit(ev)
				return nil
			}
			return err
		}
		rec.Drafted = s.d.now()
		if err := s.d.Store.PutRejection(rec); err != nil {
			return fmt.Errorf("write state: %w", err)
		}
		s.d.Store.Record(s.a.Name, func(a *state.Activity) { a.Rejections++; a.Drafts++ })
	}
	ev.DraftID = rec.DraftID
	if s.keywordOK && !hasFlag(m.flags, s.keyword) {
		if err := s.flag(m.uid); err != nil {
			if !isNo(err) {
				return err
			}
			log.Warn("the server refused the keyword", "err", err)
		}
	}
	ev.Flagged = s.keywordOK
	if !rec.Flagged && s.keywordOK {
		rec.Flagged = true
		if err := s.d.Store.PutRejection(rec); err != nil {
			return fmt.Errorf("write state: %w", err)
		}
	}
	log.Info("flagged and drafted", "message_id", msg.MessageID, "draft", rec.DraftID, "company", res.Company, "role", res.Role)
	s.emit(ev)
	return nil
}

func (s *session) emit(ev Event) {
	ev.Took = time.Since(s.passStart)
	if s.d.Events != nil {
		s.d.Events <- ev
	}
}

func ruleIDs(r *classifier.Result) []string {
	ids := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		ids = append(ids, h.Rule)
	}
	return ids
}

// skipError is a failure particular to one message: it is passed over.
type skipError struct{ err error }

func (e *skipError) Error() string { return e.err.Error() }

// ensureDraft returns the Message-ID of the draft answering the rejection
// known as key, appending one to Drafts unless a draft tied to it is
// already there.
func (s *session) ensureDraft(msg *message.Message, res *classifier.Result, key string) (string, error) {
	if err := s.loadDraftIndex(); err != nil {
		return "", err
	}
	if id, ok := s.draftIndex[key]; ok {
		s.log.Info("a draft for this rejection is already in Drafts", "message_id", msg.MessageID)
		return id, nil
	}
	r, err := drafts.Compose(msg, res, s.profile(), drafts.Options{Now: s.d.now(), Templates: s.d.Templates, RejectionKey: key})
	if err != nil {
		return "", &skipError{fmt.Errorf("compose draft: %w", err)}
	}
	raw, err := r.Bytes()
	if err != nil {
		return "", &skipError{fmt.Errorf("compose draft: %w", err)}
	}
	if err := s.appendDraft(raw); err != nil {
		if isNo(err) {
			return "", &skipError{err} // over quota, too large: retrying the same will not help
		}
		return "", err
	}
	s.draftIndex[key] = r.MessageID
	return r.MessageID, nil
}

// profile is the user as the drafts are written from: the configured
// profile, with the account's username as the address when none is set.
func (s *session) profile() drafts.Profile {
	p := s.d.Config.Profile.Drafts()
	if p.Address == "" && strings.Contains(s.a.Username, "@") {
		p.Address = s.a.Username
	}
	return p
}

// rejectionKey names a rejection for de-duplication: its Message-ID, or
// for the rare mail without one, a digest of its sender, date and subject
// in the same form.
func rejectionKey(m *message.Message) string {
	if m.MessageID != "" {
		return m.MessageID
	}
	h := sha256.Sum256([]byte(m.From.Addr + "\x00" + m.Date.UTC().Format(time.RFC3339) + "\x00" + m.Subject))
	return hex.EncodeToString(h[:16]) + "@no-message-id.highroad.invalid"
}

// classify runs the classifier, turning a panic into an error so that one
// strange message cannot stop the daemon.
func (s *session) classify(m *message.Message) (res *classifier.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in the classifier", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.d.Classifier.Classify(m), nil
}

func (s *session) appendDraft(raw []byte) error {
	return s.wait(func() error {
		cmd := s.c.Append(s.drafts, int64(len(raw)), &imap.AppendOptions{
			Flags: []imap.Flag{imap.FlagDraft, imap.FlagSeen}, Time: s.d.now()})
		if _, err := cmd.Write(raw); err != nil {
			cmd.Close()
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		_, err := cmd.Wait()
		if err != nil {
			return fmt.Errorf("append to %q: %w", s.drafts, err)
		}
		return nil
	})
}

// flag adds the keyword to one message, and nothing else.
func (s *session) flag(uid imap.UID) error {
	return s.wait(func() error {
		err := s.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
			Flags: []imap.Flag{s.keyword}}, nil).Close()
		if err != nil {
			return fmt.Errorf("store keyword on uid %d: %w", uid, err)
		}
		return nil
	})
}
