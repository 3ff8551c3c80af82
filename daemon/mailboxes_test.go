package daemon

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// listed builds a LIST answer: each entry is a name, optionally followed
// by attributes after a space, with delim as every mailbox's delimiter.
func listed(delim rune, entries ...string) []*imap.ListData {
	var out []*imap.ListData
	for _, e := range entries {
		f := strings.Fields(e)
		m := &imap.ListData{Mailbox: f[0], Delim: delim}
		for _, a := range f[1:] {
			m.Attrs = append(m.Attrs, imap.MailboxAttr(a))
		}
		out = append(out, m)
	}
	return out
}

func TestPickDrafts(t *testing.T) {
	courier := []imap.NamespaceDescriptor{{Prefix: "INBOX.", Delim: '.'}}
	cases := []struct {
		name       string
		list       []*imap.ListData
		ns         []imap.NamespaceDescriptor
		configured string
		want, why  string // want "" when none may be found
	}{
		{"special-use first", listed('/', "INBOX", "Drafts", `Brouillons \Drafts`), nil, "Drafts", "Brouillons", `\Drafts`},
		{"Courier: under the namespace", listed('.', `INBOX \HasChildren`, "INBOX.Sent", "INBOX.Drafts"), courier, "Drafts", "INBOX.Drafts", `under "INBOX."`},
		{"Courier, case and no NAMESPACE", listed('.', "INBOX", "INBOX.drafts"), nil, "Drafts", "INBOX.drafts", `under "INBOX."`},
		{"prefix without its delimiter", listed('.', "INBOX", "INBOX.Drafts"), []imap.NamespaceDescriptor{{Prefix: "INBOX", Delim: '.'}}, "Drafts", "INBOX.Drafts", "drafts:"},
		{"configured name with the prefix", listed('.', "INBOX", "INBOX.Entwürfe", "INBOX.Mes_brouillons"), courier, "Mes_brouillons", "INBOX.Mes_brouillons", "drafts:"},
		{"configured name without the prefix", listed('/', "INBOX", "Mes_brouillons"), []imap.NamespaceDescriptor{{Prefix: "INBOX/", Delim: '/'}}, "INBOX/Mes_brouillons", "Mes_brouillons", "without the prefix"},
		{"configured name as given beats a usual one", listed('/', "INBOX", "Drafts", "Work/Drafts"), nil, "Work/Drafts", "Work/Drafts", "drafts:"},
		{"German, decoded from modified UTF-7", listed('/', "INBOX", "Gesendet", "ENTWÜRFE"), nil, "Drafts", "ENTWÜRFE", "usual name"},
		{"Dutch under INBOX/", listed('/', "INBOX", "INBOX/Concepten"), nil, "Drafts", "INBOX/Concepten", "usual name"},
		{"Portuguese, Italian, Spanish", listed('/', "INBOX", "Bozze"), nil, "Drafts", "Bozze", "usual name"},
		{"a \\Noselect placeholder is never chosen", listed('.', `INBOX.Drafts \Noselect`, "INBOX"), courier, "Drafts", "", ""},
		{"nothing like Drafts", listed('/', "INBOX", "Sent", "Archive"), nil, "Drafts", "", ""},
		{"a name the user chose is not second-guessed", listed('/', "INBOX", "Drafts"), nil, "Entwürfe", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := pickDrafts(c.list, c.ns, c.configured)
			if ok != (c.want != "") || got.Name != c.want || !strings.Contains(got.Why, c.why) {
				t.Errorf("pickDrafts = %q (%q), %v; want %q (%q)", got.Name, got.Why, ok, c.want, c.why)
			}
			if len(got.Seen) != len(c.list) {
				t.Errorf("pickDrafts saw %d mailboxes, want all %d", len(got.Seen), len(c.list))
			}
		})
	}
}

func TestDescribeMailboxes(t *testing.T) {
	c, _ := pickDrafts(listed('/', "INBOX", `Drafts \Drafts \HasNoChildren`, `Sent \Sent`, "a", "b"), nil, "Drafts")
	if got, want := describeMailboxes(c.Seen, 4), `INBOX, Drafts (\Drafts), Sent (\Sent), a, and 1 more`; got != want {
		t.Errorf("describeMailboxes = %q, want %q", got, want)
	}
}
