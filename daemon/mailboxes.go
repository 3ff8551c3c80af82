package daemon

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
)

// usualDrafts are the names mail clients give the Drafts mailbox, in the
// languages highroad meets most. go-imap decodes modified UTF-7 names, so
// "Entw&APw-rfe" arrives as "Entwürfe".
var usualDrafts = []string{"Drafts", "Draft", "Entwürfe", "Brouillons", "Borradores", "Concepten", "Bozze", "Rascunhos"}

// Mailbox is a mailbox as the server listed it.
type Mailbox struct {
	Name  string
	Attrs []imap.MailboxAttr // the special-use ones only: \Drafts, \Sent...
}

// draftsChoice is the Drafts mailbox found at login, why it was chosen, and
// the mailboxes it was chosen from.
type draftsChoice struct {
	Name string
	Why  string
	Seen []Mailbox
}

// findDrafts lists the mailboxes (with their special-use attributes where
// the server has SPECIAL-USE) and the personal namespaces, and picks Drafts.
func (s *session) findDrafts() (draftsChoice, error) {
	var list []*imap.ListData
	opts := &imap.ListOptions{}
	if s.c.Caps().Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	err := s.wait(func() (err error) {
		list, err = s.c.List("", "*", opts).Collect()
		return err
	})
	if err != nil {
		return draftsChoice{}, fmt.Errorf("list mailboxes: %w", err)
	}
	var personal []imap.NamespaceDescriptor
	if s.c.Caps().Has(imap.CapNamespace) {
		var ns *imap.NamespaceData
		err := s.wait(func() (err error) {
			ns, err = s.c.Namespace().Wait()
			return err
		})
		if err != nil {
			// Only a hint: the names are tried under INBOX anyway.
			s.log.Debug("NAMESPACE failed; trying the usual names at the top and under INBOX", "err", err)
		} else {
			personal = ns.Personal
		}
	}
	c, ok := pickDrafts(list, personal, s.a.Drafts)
	if !ok {
		return c, permanent(fmt.Errorf("no Drafts mailbox: none is marked \\Drafts and none is named %q%s, at the top or under a personal namespace (the server has %s); set drafts: to its name",
			s.a.Drafts, map[bool]string{true: " or a usual name for it"}[strings.EqualFold(s.a.Drafts, config.DefaultDrafts)],
			describeMailboxes(c.Seen, 20)))
	}
	s.log.Debug("found Drafts", "mailbox", c.Name, "why", c.Why)
	return c, nil
}

// pickDrafts chooses the Drafts mailbox from a LIST answer, the personal
// namespaces (NAMESPACE) and the configured name. In order: the mailbox
// marked \Drafts; the configured name as given, then under each personal
// prefix or with it taken off; then, unless drafts: names another than
// the default, a usual name, at the top or under a personal prefix. Names
// compare case-insensitively; mailboxes that cannot be selected are never
// chosen. Seen is filled in either way.
func pickDrafts(list []*imap.ListData, personal []imap.NamespaceDescriptor, configured string) (draftsChoice, bool) {
	c := draftsChoice{Seen: seenMailboxes(list)}
	byName := map[string]string{} // lower-cased name -> name as listed
	for _, m := range list {
		if selectable(m) {
			byName[strings.ToLower(m.Mailbox)] = m.Mailbox
			if slices.Contains(m.Attrs, imap.MailboxAttrDrafts) && c.Name == "" {
				c.Name, c.Why = m.Mailbox, `marked \Drafts by the server (SPECIAL-USE)`
			}
		}
	}
	if c.Name != "" {
		return c, true
	}
	prefixes := personalPrefixes(list, personal)
	for _, cand := range configuredCandidates(configured, prefixes) {
		if name, ok := byName[strings.ToLower(cand.name)]; ok {
			c.Name, c.Why = name, cand.why
			return c, true
		}
	}
	if !strings.EqualFold(configured, config.DefaultDrafts) {
		return c, false // a name the user chose is not second-guessed
	}
	for _, prefix := range prefixes {
		for _, usual := range usualDrafts {
			if name, ok := byName[strings.ToLower(prefix+usual)]; ok {
				c.Name, c.Why = name, "a usual name for Drafts"+under(prefix)
				return c, true
			}
		}
	}
	return c, false
}

type candidate struct{ name, why string }

// configuredCandidates are the names the configured drafts: may stand for:
// itself, under each personal prefix, and without one.
func configuredCandidates(configured string, prefixes []string) []candidate {
	out := []candidate{{configured, "named as drafts: says"}}
	for _, p := range prefixes {
		if p == "" {
			continue
		}
		out = append(out, candidate{p + configured, "named as drafts: says" + under(p)})
		if rest, ok := cutPrefixFold(configured, p); ok && rest != "" {
			out = append(out, candidate{rest, fmt.Sprintf("named as drafts: says, without the prefix %q", p)})
		}
	}
	return out
}

// personalPrefixes returns "" (the top level), each personal namespace's
// prefix ending in its delimiter, and INBOX followed by its delimiter:
// servers without NAMESPACE (and clients on Courier and Cyrus) put folders
// under INBOX.
func personalPrefixes(list []*imap.ListData, personal []imap.NamespaceDescriptor) []string {
	out := []string{""}
	add := func(p string, delim rune) {
		if p != "" && delim != 0 && !strings.HasSuffix(p, string(delim)) {
			p += string(delim)
		}
		if !slices.ContainsFunc(out, func(q string) bool { return strings.EqualFold(p, q) }) {
			out = append(out, p)
		}
	}
	for _, ns := range personal {
		add(ns.Prefix, ns.Delim)
	}
	for _, m := range list {
		if strings.EqualFold(m.Mailbox, "INBOX") && m.Delim != 0 {
			add("INBOX", m.Delim)
		}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func under(prefix string) string {
	if prefix == "" {
		return ""
	}
	return fmt.Sprintf(", under %q", prefix)
}

// selectable reports whether a listed mailbox can be opened.
func selectable(m *imap.ListData) bool {
	for _, a := range m.Attrs {
		if a == imap.MailboxAttrNoSelect || a == imap.MailboxAttrNonExistent {
			return false
		}
	}
	return true
}

// specialUse are the RFC 6154 attributes worth showing.
var specialUse = []imap.MailboxAttr{imap.MailboxAttrAll, imap.MailboxAttrArchive, imap.MailboxAttrDrafts,
	imap.MailboxAttrFlagged, imap.MailboxAttrJunk, imap.MailboxAttrSent, imap.MailboxAttrTrash}

func seenMailboxes(list []*imap.ListData) []Mailbox {
	out := make([]Mailbox, 0, len(list))
	for _, m := range list {
		mb := Mailbox{Name: m.Mailbox}
		for _, a := range m.Attrs {
			if slices.Contains(specialUse, a) {
				mb.Attrs = append(mb.Attrs, a)
			}
		}
		out = append(out, mb)
	}
	return out
}

// describeMailboxes lists up to n mailboxes compactly, as in check.
func describeMailboxes(list []Mailbox, n int) string {
	if len(list) == 0 {
		return "no mailboxes"
	}
	return strings.Join((&Report{Mailboxes: list}).MailboxList(n), ", ")
}

// String is the name, with its special-use attributes in parentheses.
func (m Mailbox) String() string {
	if len(m.Attrs) == 0 {
		return m.Name
	}
	attrs := make([]string, len(m.Attrs))
	for i, a := range m.Attrs {
		attrs[i] = string(a)
	}
	return m.Name + " (" + strings.Join(attrs, " ") + ")"
}
