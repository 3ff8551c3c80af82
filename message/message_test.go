package message

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFields(t *testing.T) {
	raw := "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.de>\r\n" +
		"Reply-To: Talent <talent@example.de>\r\n" +
		"To: \"Doe, Jane\" <jane@example.org>, bob@example.org\r\n" +
		"Subject: =?utf-8?b?SWhyZSBCZXdlcmJ1bmcg4oCTIFVwZGF0ZQ==?=\r\n" +
		"Date: Tue, 3 Mar 2026 10:12:00 +0100\r\n" +
		"Message-ID: <abc@example.de>\r\n" +
		"In-Reply-To: <x@y>\r\n" +
		"References: <w@y> <x@y>\r\n" +
		"Auto-Submitted: auto-generated\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"\r\n" +
		"Gr=FC=DFe aus M=FCnchen\r\n"
	m, err := Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"From.Name", m.From.Name, "Jürgen Müller"},
		{"From.Addr", m.From.Addr, "jm@example.de"},
		{"ReplyTo", m.ReplyTo[0].Addr, "talent@example.de"},
		{"To[0].Name", m.To[0].Name, "Doe, Jane"},
		{"To[1]", m.To[1].Addr, "bob@example.org"},
		{"Subject", m.Subject, "Ihre Bewerbung – Update"},
		{"MessageID", m.MessageID, "abc@example.de"},
		{"InReplyTo", strings.Join(m.InReplyTo, " "), "x@y"},
		{"References", strings.Join(m.References, " "), "w@y x@y"},
		{"auto-submitted", m.Header["auto-submitted"], "auto-generated"},
		{"Text", m.Text, "Grüße aus München\n"},
		{"Date", m.Date.UTC().Format("2006-01-02 15:04"), "2026-03-03 09:12"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Parse: %s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestParseHTMLOnly(t *testing.T) {
	raw := "From: a@b.c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>p{color:red}</style><title>x</title></head><body>" +
		"<p>Dear&nbsp;Ana,</p><p>We&#8217;ve decided <b>not</b> to<br>proceed.</p>" +
		"<script>alert(1)</script><table><tr><td>Best</td><td>Team</td></tr></table></body></html>"
	m, err := Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := "Dear Ana,\n\nWe’ve decided not to\nproceed.\n\nBest Team\n"
	if m.Text != want || !m.FromHTML {
		t.Errorf("Parse(html) Text = %q (FromHTML %v), want %q", m.Text, m.FromHTML, want)
	}
}

func TestParsePrefersPlain(t *testing.T) {
	raw := "From: a@b.c\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n" +
		"--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\ncGxhaW4gdmVyc2lvbg==\r\n" +
		"--XX\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nattached\r\n--XX--\r\n"
	m, err := Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "plain version\n" {
		t.Errorf("Parse(multipart) Text = %q, want the text/plain part", m.Text)
	}
}

func TestSplitQuoted(t *testing.T) {
	cases := []struct{ name, in, text string }{
		{"gmail", "Thanks.\n\nOn Tue, 3 Mar 2026 at 10:12, Alex Kim <alex@x.com> wrote:\n> Hello\n", "Thanks.\n"},
		{"wrapped attribution", "Thanks.\nOn Tue, 3 Mar 2026 at 10:12, Alex Kim <alex@x.com>\nwrote:\n> Hello\n", "Thanks.\n"},
		{"german", "Danke.\nAm 03.03.2026 um 10:12 schrieb Alex Kim <alex@x.com>:\n> Hallo\n", "Danke.\n"},
		{"french", "Merci.\nLe mar. 3 mars 2026 à 10:12, Alex <a@x.fr> a écrit :\n> Bonjour\n", "Merci.\n"},
		{"spanish", "Gracias.\nEl mar, 3 mar 2026 a las 10:12, Alex (<a@x.es>) escribió:\n> Hola\n", "Gracias.\n"},
		{"dutch", "Dank.\nOp di 3 mrt 2026 om 10:12 schreef Alex <a@x.nl>:\n> Hoi\n", "Dank.\n"},
		{"outlook", "Sorry.\n\nFrom: Alex Kim <alex@x.com>\nSent: Tuesday, March 3, 2026 10:12\nTo: Me\nSubject: Hi\n\nOld text\n", "Sorry.\n"},
		{"separator", "Sorry.\n-----Original Message-----\nFrom: x\n", "Sorry.\n"},
		{"inline quote lines", "Top.\n> quoted\nBottom.\n", "Top.\nBottom.\n"},
		{"no quote", "Just text.\nFrom: here on, we go.\n", "Just text.\nFrom: here on, we go.\n"},
	}
	for _, c := range cases {
		text, _ := splitQuoted(c.in)
		if text != c.text {
			t.Errorf("splitQuoted(%s) text = %q, want %q", c.name, text, c.text)
		}
	}
}

func TestParseBadInput(t *testing.T) {
	cases := []struct {
		name    string
		raw     string
		wantErr bool
	}{
		{"empty", "", true},
		{"no header", "\r\njust a body\r\n", true},
		{"unknown charset", "From: a@b.c\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'\r\n", false},
		{"unknown encoding", "From: a@b.c\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nuryyb\r\n", false},
		{"broken base64", "From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n", false},
		{"bad boundary", "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=Q\r\n\r\nno parts here\r\n", false},
		{"bad address", "From: <<<@>>>, ;;\r\nTo: \"unterminated <x@y>\r\n\r\nbody\r\n", false},
		{"bad date", "From: a@b.c\r\nDate: yesterday-ish\r\n\r\nbody\r\n", false},
		{"binary junk", "From: a@b.c\r\n\r\n\x00\x01\xff\xfe\x1b[31m", false},
	}
	for _, c := range cases {
		m, err := Parse(strings.NewReader(c.raw))
		if (err != nil) != c.wantErr {
			t.Errorf("Parse(%s) error = %v, want error %v", c.name, err, c.wantErr)
		}
		if err == nil && strings.ContainsAny(m.Text, "\x00\x01\x1b") {
			t.Errorf("Parse(%s) Text keeps control characters: %q", c.name, m.Text)
		}
	}
}

func TestParseHugeMessage(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("From: a@b.c\r\nSubject: big\r\n\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len() < 25<<20 {
		b.WriteString(line)
	}
	m, err := Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Text) > DefaultLimits.MaxText+1024 {
		t.Errorf("Parse(25 MB) kept %d bytes of text, want at most about %d", len(m.Text), DefaultLimits.MaxText)
	}
	if len(m.Problems) == 0 {
		t.Errorf("Parse(25 MB) reports no truncation")
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nBcc: x":       "a Bcc: x",
		"  spaced\tout  ":   "spaced out",
		"zero\u200bwidth":   "zerowidth",
		"bad\xffutf8":       "bad\uFFFDutf8",
		"line\u2028sep":     "line sep",
		"ctrl\x00\x1bchars": "ctrl chars",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCorpusParses checks that every corpus message parses and yields text.
func TestCorpusParses(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/corpus/*/*.eml")
	if len(paths) < 160 {
		t.Fatalf("found %d corpus messages, want at least 160", len(paths))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(bytes.NewReader(b))
		if err != nil {
			t.Errorf("Parse(%s): %v", p, err)
			continue
		}
		if strings.TrimSpace(m.Text) == "" || m.From.Addr == "" {
			t.Errorf("Parse(%s): empty text or sender", p)
		}
	}
}

// TestReviewFindings pins the fixes for inputs a review found mishandled.
func TestReviewFindings(t *testing.T) {
	t.Run("nested blockquotes stay bounded", func(t *testing.T) {
		raw := "From: a@b.c\r\nContent-Type: text/html\r\n\r\n" +
			strings.Repeat(`<blockquote type="cite">`, 10600) + strings.Repeat("x<br>", 25600)
		m, err := Parse(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.Text) + len(m.Quoted); n > 2*DefaultLimits.MaxText {
			t.Errorf("kept %d bytes of text from a 255 KB message", n)
		}
	})
	t.Run("prose ending in wrote: is new text", func(t *testing.T) {
		m, _ := Parse(strings.NewReader("From: a@b.c\r\n\r\nThe hiring manager wrote:\r\n\r\nWe decided to go with another candidate.\r\n"))
		if !strings.Contains(m.Text, "another candidate") {
			t.Errorf("Text = %q, lost the sentence after 'wrote:'", m.Text)
		}
	})
	t.Run("head without its end tag", func(t *testing.T) {
		m, _ := Parse(strings.NewReader("From: a@b.c\r\nContent-Type: text/html\r\n\r\n<html><head><meta charset=utf-8><title>Update</title><body><p>Unfortunately no.</p>"))
		if !strings.Contains(m.Text, "Unfortunately no.") {
			t.Errorf("Text = %q", m.Text)
		}
	})
	t.Run("indenting blockquote is not a quote", func(t *testing.T) {
		m, _ := Parse(strings.NewReader("From: a@b.c\r\nContent-Type: text/html\r\n\r\n<p>Hi,</p><blockquote>We will not move forward.</blockquote>"))
		if !strings.Contains(m.Text, "We will not move forward.") {
			t.Errorf("Text = %q, Quoted = %q", m.Text, m.Quoted)
		}
	})
	t.Run("one broken header line", func(t *testing.T) {
		m, err := Parse(strings.NewReader("From: a@b.c\r\nX-Broken header line without colon\r\nSubject: Your application\r\n\r\nbody\r\n"))
		if err != nil || m.Subject != "Your application" || len(m.Problems) == 0 {
			t.Errorf("Parse = %v, subject %q, problems %v", err, m.Subject, m.Problems)
		}
	})
	t.Run("decomposed accents", func(t *testing.T) {
		m, _ := Parse(strings.NewReader("From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfu\u0308r Sie\r\n"))
		if m.Text != "für Sie\n" {
			t.Errorf("Text = %q, want composed characters", m.Text)
		}
	})
}
