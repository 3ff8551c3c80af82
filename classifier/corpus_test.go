package classifier_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

var verbose = flag.Bool("corpus.v", false, "print every corpus miss")

// label is one line of a corpus manifest (see testdata/corpus/FORMAT.md).
type label struct {
	File      string `json:"file"`
	Rejection bool   `json:"rejection"`
	Category  string `json:"category"`
	Language  string `json:"language"`
	// The expected fields; nil where a manifest does not label them.
	Stage          *string `json:"stage"`
	ContactName    *string `json:"contact_name"`
	ContactAddress *string `json:"contact_address"`
	Company        *string `json:"company"`
	Role           *string `json:"role"`
}

type sample struct {
	path  string
	label label
	msg   *message.Message
}

const corpusDir = "../testdata/corpus"

// loadCorpus parses every message listed in the corpus manifests.
func loadCorpus(tb testing.TB) []sample {
	tb.Helper()
	manifests, err := filepath.Glob(filepath.Join(corpusDir, "*", "manifest.jsonl"))
	if err != nil || len(manifests) == 0 {
		tb.Fatalf("no corpus manifests under %s: %v", corpusDir, err)
	}
	var out []sample
	for _, mf := range manifests {
		f, err := os.Open(mf)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var l label
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				tb.Fatalf("%s: %v", mf, err)
			}
			p := filepath.Join(filepath.Dir(mf), l.File)
			raw, err := os.Open(p)
			if err != nil {
				tb.Fatalf("%s: %v", mf, err)
			}
			m, err := message.Parse(raw)
			raw.Close()
			if err != nil {
				tb.Fatalf("Parse(%s): %v", p, err)
			}
			out = append(out, sample{path: p, label: l, msg: m})
		}
		f.Close()
	}
	return out
}

// decorations are parts of a role or company name that say nothing of which
// job or employer it is: gender markers ("(m/w/d)", "H/F"), notes in
// brackets ("(0,8 fte)") and legal forms ("GmbH", "S.L."). The extractor
// drops them on purpose, since a reply reads better without them.
var decorations = regexp.MustCompile(`(?i)\s*(\([^)]*\)|\b[mwfdhxv]/[mwfdhxv](/[mwfdhxv])?\b|[ ,]+(gmbh( & co\.? kg)?|ag|inc\.?|ltd\.?|llp|llc|plc|pvt\.?( ltd\.?)?|b\.?v\.?|s\.?a\.?( de c\.?v\.?)?|s\.?l\.?))\s*$`)

// same compares extracted and expected fields the way a reader would:
// case, accents, spacing, punctuation and decorations aside.
func same(got, want string) bool {
	for i := 0; i < 3; i++ {
		got, want = decorations.ReplaceAllString(got, ""), decorations.ReplaceAllString(want, "")
	}
	norm := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && r != '’' && r != '–' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	return norm(got) == norm(want)
}

func TestCorpus(t *testing.T) {
	samples := loadCorpus(t)
	c, err := classifier.New(classifier.Default())
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, tn, rej int
	fields := map[string][2]int{} // field -> {right, total}
	score := func(field, got string, want *string, path string) {
		if want == nil {
			return
		}
		n := fields[field]
		n[1]++
		if same(got, *want) {
			n[0]++
		} else if *verbose {
			t.Logf("%s: %s = %q, want %q", path, field, got, *want)
		}
		fields[field] = n
	}
	for _, s := range samples {
		res := c.Classify(s.msg)
		switch {
		case res.Rejection && s.label.Rejection:
			tp++
		case res.Rejection:
			fp++
			t.Logf("false positive %s (%s): score %d %v", s.path, s.label.Category, res.Score, hitIDs(res))
		case s.label.Rejection:
			fn++
			t.Logf("missed %s (%s): score %d %v %v", s.path, s.label.Category, res.Score, hitIDs(res), res.Notes)
		default:
			tn++
		}
		if !s.label.Rejection {
			continue
		}
		rej++
		score("contact_name", res.ContactName, s.label.ContactName, s.path)
		score("contact_address", res.ContactAddress, s.label.ContactAddress, s.path)
		score("company", res.Company, s.label.Company, s.path)
		score("role", res.Role, s.label.Role, s.path)
		score("stage", string(res.Stage), s.label.Stage, s.path)
		score("language", res.Language, &s.label.Language, s.path)
	}
	precision := float64(tp) / float64(max(1, tp+fp))
	recall := float64(tp) / float64(max(1, tp+fn))
	t.Logf("corpus: %d messages, %d rejections; tp=%d fp=%d fn=%d tn=%d; precision %.3f recall %.3f",
		len(samples), rej, tp, fp, fn, tn, precision, recall)
	for _, f := range []string{"contact_name", "contact_address", "company", "role", "stage", "language"} {
		n := fields[f]
		t.Logf("extraction %-15s %3d/%3d = %.3f", f, n[0], n[1], float64(n[0])/float64(max(1, n[1])))
	}
	if precision < 0.97 {
		t.Errorf("precision %.3f, want >= 0.97", precision)
	}
	if recall < 0.95 {
		t.Errorf("recall %.3f, want >= 0.95", recall)
	}
}

func hitIDs(r *classifier.Result) []string {
	var ids []string
	for _, h := range r.Hits {
		ids = append(ids, h.Rule+"="+h.Match)
	}
	return ids
}
