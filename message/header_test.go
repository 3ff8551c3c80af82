package message_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

const rejection = "../testdata/corpus/rej-en/001-greenhouse-after-onsite.eml"

// LongHeader returns a header line "name: " followed by n bytes of words.
func longHeader(name, word string, n int) string {
	var b strings.Builder
	b.WriteString(name + ":")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, " "+word, i)
	}
	return b.String()
}

// edit returns the corpus rejection with the header line starting with
// replace swapped for lines (or lines put before Date: when replace is "").
func edit(t *testing.T, replace string, lines ...string) []byte {
	t.Helper()
	raw, err := os.ReadFile(rejection)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	at := replace
	if at == "" {
		at = "Date:"
	}
	i := strings.Index(s, "\n"+at) + 1
	if i == 0 {
		t.Fatalf("%s has no %s line", rejection, at)
	}
	end := i
	if replace != "" {
		end += strings.Index(s[i:], "\n") + 1
	}
	return []byte(s[:i] + strings.Join(lines, "\r\n") + "\r\n" + s[end:])
}

// TestLongHeaderLines: header lines far over go-message's and bufio's 4 KB
// must not make a rejection unreadable (issue 9, item 2).
func TestLongHeaderLines(t *testing.T) {
	subject := longHeader("Subject: Your application to Lumenfield Robotics", "and more %d", 20<<10)
	refs := longHeader("References", "<thread-%d@greenhouse-mail.io>", 100<<10)
	to := longHeader("To: Marisol Vega <marisol.vega@gmail.com>,", "person%d@example.com,", 100<<10)
	cases := []struct {
		name     string
		raw      []byte
		tolerant bool // read only by the fallback
	}{
		{"100 KB tracking header", edit(t, "", longHeader("X-Tracking", "t%d", 100<<10)), false},
		{"100 KB unfolded To", edit(t, "To:", strings.TrimSuffix(to, ",")), false},
		{"20 KB Subject", edit(t, "Subject:", subject), false},
		{"100 KB References", edit(t, "", refs), false},
		{"all of them", edit(t, "Subject:", subject, refs, longHeader("X-Tracking", "t%d", 100<<10)), false},
		{"2 MB header line", edit(t, "", longHeader("X-Tracking", "t%d", 2<<20)), true},
		{"2 MB References", edit(t, "", longHeader("References", "<thread-%d@greenhouse-mail.io>", 2<<20)), true},
		{"10 MB of header", edit(t, "", longHeader("X-Tracking", "t%d", 10<<20)), true},
		{"header starting with a continuation", append([]byte(" stray continuation\r\n"), edit(t, "", "X-Note: x")...), true},
	}
	c, err := classifier.New(classifier.Default(), "marisol.vega@gmail.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := message.Parse(bytes.NewReader(tc.raw))
			if err != nil {
				t.Fatalf("Parse = %v, want the message read", err)
			}
			if m.From.Addr != "no-reply@greenhouse-mail.io" || !strings.HasPrefix(m.Subject, "Your application to Lumenfield") ||
				!strings.HasPrefix(m.MessageID, "0100018e3f2a9c41") || m.Date.IsZero() {
				t.Errorf("Parse: from %q, subject %.60q, id %q, date %v; want the rejection's", m.From.Addr, m.Subject, m.MessageID, m.Date)
			}
			if tolerant := strings.Contains(strings.Join(m.Problems, "\n"), "read tolerantly"); tolerant != tc.tolerant {
				t.Errorf("Parse: read tolerantly = %v, want %v (problems %q)", tolerant, tc.tolerant, m.Problems)
			}
			if res := c.Classify(m); !res.Rejection {
				t.Errorf("Classify = not a rejection (score %v), want a rejection", res.Score)
			}
		})
	}
}

// TestLongReferencesKeepEnds: a References too long to keep whole keeps
// its first and last identifiers, which are the ones threading needs.
func TestLongReferencesKeepEnds(t *testing.T) {
	raw := edit(t, "", longHeader("References", "<thread-%d@greenhouse-mail.io>", 2<<20))
	m, err := message.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	n := len(m.References)
	if n < 2 || m.References[0] != "thread-0@greenhouse-mail.io" || !strings.HasPrefix(m.References[n-1], "thread-") {
		t.Fatalf("References = %d ids, first %q; want the first and the last kept", n, m.References[:min(n, 1)])
	}
	last := fmt.Sprintf("thread-%d@", n)
	if n > 50000 || strings.HasPrefix(m.References[n-1], last) {
		t.Errorf("References kept %d ids ending %q, want a shortened list", n, m.References[n-1])
	}
}

// TestBrokenFolding: once the header must be read tolerantly, a line
// that lost its folding space continues the field above instead of
// being dropped.
func TestBrokenFolding(t *testing.T) {
	raw := " stray\r\nFrom: Acme Jobs <jobs@acme.example>\r\nSubject: Your application\r\nfor the Engineer role\r\n\r\nbody\r\n"
	m, err := message.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your application for the Engineer role" || m.From.Addr != "jobs@acme.example" {
		t.Errorf("Parse: subject %q, from %q; want the folded subject joined", m.Subject, m.From.Addr)
	}
}

// TestStillUnreadable: input with no header field at all stays an error,
// for the daemon to record.
func TestStillUnreadable(t *testing.T) {
	for _, raw := range []string{"", "\r\n\r\nno header at all", " only\r\n continuation\r\n\r\nbody"} {
		if _, err := message.Parse(strings.NewReader(raw)); err == nil {
			t.Errorf("Parse(%q) = nil error, want it unreadable", raw)
		}
	}
}
