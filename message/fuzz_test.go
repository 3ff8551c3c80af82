package message

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and what it
// returns must keep its promises (valid UTF-8, no control characters).
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/corpus/*/*.eml")
	for i, p := range paths {
		if i%8 == 0 { // a spread of real messages as seeds
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a--"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range []string{m.Subject, m.From.Name, m.From.Addr, m.Text, m.Quoted} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		if strings.ContainsAny(m.Subject+m.From.Name, "\r\n") {
			t.Fatalf("line break in a header value: %q", m.Subject)
		}
	})
}
