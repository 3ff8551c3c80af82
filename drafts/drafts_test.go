package drafts_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/message"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var now = time.Date(2026, 3, 16, 9, 30, 0, 0, time.FixedZone("CET", 3600))

const rejection = "From: Priya Natarajan <priya@northwind.example>\r\n" +
	"To: Alex Morgan <alex@example.org>\r\n" +
	"Subject: Your application for Senior Data Engineer\r\n" +
	"Date: Fri, 13 Mar 2026 16:05:00 +0000\r\n" +
	"Message-ID: <rej-1@northwind.example>\r\n" +
	"References: <earlier@example.org>\r\n" +
	"\r\n" +
	"Hi Alex,\r\n\r\nThank you for your time. We have decided to move forward with another candidate.\r\n\r\nBest,\r\nPriya\r\n"

func parse(t *testing.T, raw string) *message.Message {
	t.Helper()
	m, err := message.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func result(lang string, stage classifier.Stage) *classifier.Result {
	return &classifier.Result{
		Rejection: true, Language: lang, Stage: stage,
		ContactName: "Priya Natarajan", ContactAddress: "priya@northwind.example",
		Company: "Northwind", Role: "Senior Data Engineer",
	}
}

var profile = drafts.Profile{
	Name:      "Alex Morgan",
	Address:   "alex@example.org",
	Signature: "Alex Morgan\n+44 20 7946 0018",
	LinkedIn:  "https://www.linkedin.com/in/alexmorgan",
}

type golden struct {
	name    string
	raw     string
	res     *classifier.Result
	profile drafts.Profile
}

func goldenCases() []golden {
	var cases []golden
	for _, lang := range classifier.Languages {
		for _, stage := range drafts.Stages {
			cases = append(cases, golden{lang + "-" + string(stage), rejection, result(lang, stage), profile})
		}
	}
	noReply := result("en", classifier.StageAfterInterview)
	noReply.ContactAddress = ""
	noName := result("en", classifier.StageBeforeInterview)
	noName.ContactName, noName.Company, noName.Role = "", "", ""
	nonASCII := result("de", classifier.StageAfterInterview)
	nonASCII.ContactName, nonASCII.Company, nonASCII.Role = "Zoë Müller-Lüdenscheidt", "Société Générale", "Ingénieur·e Données"
	hostile := result("en", classifier.StageUnknown)
	hostile.ContactName = "Eve\r\nBcc: victim@example.com"
	hostile.Company = "{{.Signature}} <no value>"
	hostile.Role = "Engineer\nX-Injected: yes"
	return append(cases,
		golden{"no-reply-sender", rejection, noReply, profile},
		golden{"missing-name-no-profile", rejection, noName, drafts.Profile{}},
		golden{"subject-already-re", strings.Replace(rejection, "Subject: Your", "Subject: RE: Re: AW: Your", 1), result("en", classifier.StageUnknown), profile},
		golden{"non-ascii-names", strings.Replace(rejection, "Alex Morgan <alex", "=?utf-8?q?Jos=C3=A9_=C3=91=C3=BA=C3=B1ez?= <alex", 1), nonASCII, drafts.Profile{Address: "alex@example.org"}},
		golden{"hostile-headers", strings.NewReplacer(
			"Subject: Your application for Senior Data Engineer", "Subject: =?utf-8?q?Hi=0D=0ABcc:_victim@example.com?=",
			"Message-ID: <rej-1@northwind.example>", "Message-ID: <rej 1@north>\r\nIn-Reply-To: <a@b> <c\r\n d@e>",
		).Replace(rejection), hostile, drafts.Profile{Name: "Alex\r\nBcc: x@example.com", Address: "alex@example.org"}},
	)
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			m := parse(t, c.raw)
			r, err := drafts.Compose(m, c.res, c.profile, drafts.Options{Now: now, MessageID: "draft-1@example.org"})
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			got, err := r.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			path := filepath.Join("testdata", "golden", c.name+".eml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./drafts -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Compose(%s) differs from %s (run with -update if the change is intended):\n%s", c.name, path, got)
			}
			checkDraft(t, got)
		})
	}
}

// checkDraft asserts what every draft must be, whatever its input: a
// well-formed message with exactly the expected header fields, no template
// artefacts, and a decodable UTF-8 body.
func checkDraft(t *testing.T, raw []byte) {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("draft does not parse: %v", err)
	}
	allowed := map[string]bool{"Date": true, "From": true, "To": true, "Subject": true, "Message-Id": true,
		"In-Reply-To": true, "References": true, "X-Highroad-Rejection": true, "Mime-Version": true,
		"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Language": true}
	fields := e.Header.Fields()
	for fields.Next() {
		if !allowed[fields.Key()] {
			t.Errorf("draft has unexpected header field %q: %q", fields.Key(), fields.Value())
		}
	}
	h := gomail.Header{Header: e.Header}
	if subj, _ := h.Subject(); !strings.HasPrefix(subj, "Re:") || strings.HasPrefix(subj, "Re: Re:") {
		t.Errorf("Subject = %q, want one leading Re:", subj)
	}
	body := new(bytes.Buffer)
	if _, err := body.ReadFrom(e.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	text := body.String()
	for _, bad := range []string{"<no value>", "{{", "}}", "Dear ,", "Hi ,", " ,\r\n"} {
		if strings.Contains(strings.Split(text, "\r\n> ")[0], bad) {
			t.Errorf("draft body contains %q:\n%s", bad, text)
		}
	}
	for _, l := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		if len(l) > 998 {
			t.Errorf("line longer than 998 octets: %.60q...", l)
		}
	}
}

func TestThreading(t *testing.T) {
	m := parse(t, rejection)
	r, err := drafts.Compose(m, result("en", classifier.StageAfterInterview), profile, drafts.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := r.Bytes()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := gomail.Header{Header: e.Header}
	if ids, _ := h.MsgIDList("In-Reply-To"); len(ids) != 1 || ids[0] != "rej-1@northwind.example" {
		t.Errorf("In-Reply-To = %v, want [rej-1@northwind.example]", ids)
	}
	if ids, _ := h.MsgIDList("References"); strings.Join(ids, " ") != "earlier@example.org rej-1@northwind.example" {
		t.Errorf("References = %v, want the original's references then its id", ids)
	}
	if ids, _ := h.MsgIDList(drafts.HeaderRejection); len(ids) != 1 || ids[0] != "rej-1@northwind.example" {
		t.Errorf("%s = %v, want the rejection's Message-ID", drafts.HeaderRejection, ids)
	}
	id, _ := h.MessageID()
	if !strings.HasPrefix(id, "highroad.") || !strings.HasSuffix(id, "@example.org") {
		t.Errorf("Message-ID = %q, want a fresh highroad id at the user's domain", id)
	}
	r2, _ := drafts.Compose(m, result("en", classifier.StageAfterInterview), profile, drafts.Options{Now: now})
	if r2.MessageID == r.MessageID {
		t.Errorf("two drafts got the same Message-ID %q", r.MessageID)
	}
	if d, _ := h.Date(); !d.Equal(now) {
		t.Errorf("Date = %v, want the clock value passed in %v", d, now)
	}
}

// TestTemplatesEveryCombination renders every template with every
// combination of empty and set fields and checks for artefacts.
func TestTemplatesEveryCombination(t *testing.T) {
	tmpls, err := drafts.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range classifier.Languages {
		for _, stage := range drafts.Stages {
			for mask := 0; mask < 1<<7; mask++ {
				d := drafts.Data{}
				set := func(bit int, f func()) {
					if mask&(1<<bit) != 0 {
						f()
					}
				}
				set(0, func() { d.ContactName, d.ContactFirst = "Priya Natarajan", "Priya" })
				set(1, func() { d.Company = "Northwind" })
				set(2, func() { d.Role = "Data Engineer" })
				set(3, func() { d.UserName = "Alex Morgan" })
				set(4, func() { d.UserFirst = "Alex" })
				set(5, func() { d.LinkedIn = "https://www.linkedin.com/in/alex" })
				set(6, func() { d.Signature = "Alex\n+1 555 0100" })
				out, err := tmpls.Render(lang, stage, d)
				if err != nil {
					t.Fatalf("Render(%s, %s, %+v): %v", lang, stage, d, err)
				}
				for _, bad := range []string{"<no value>", "{{", "  ", " ,", " .", "\n\n\n"} {
					if strings.Contains(out, bad) {
						t.Errorf("Render(%s, %s, mask %07b) contains %q:\n%s", lang, stage, mask, bad, out)
					}
				}
				if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
					t.Errorf("Render(%s, %s, mask %07b) does not end in exactly one newline", lang, stage, mask)
				}
				if d.Company != "" && !strings.Contains(out, d.Company) {
					t.Errorf("Render(%s, %s, mask %07b) leaves out the company", lang, stage, mask)
				}
				if d.LinkedIn != "" && !strings.Contains(out, d.LinkedIn) {
					t.Errorf("Render(%s, %s, mask %07b) leaves out the LinkedIn URL", lang, stage, mask)
				}
			}
		}
	}
}

func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "en"), 0o755)
	os.WriteFile(filepath.Join(dir, "en", "unknown.tmpl"), []byte("Custom for {{.Company}}.\n"), 0o644)
	tmpls, err := drafts.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := tmpls.Render("en", classifier.StageUnknown, drafts.Data{Company: "Acme"})
	if out != "Custom for Acme.\n" {
		t.Errorf("override not used: %q", out)
	}
	out, _ = tmpls.Render("en", classifier.StageAfterInterview, drafts.Data{Company: "Acme"})
	if strings.HasPrefix(out, "Custom") {
		t.Errorf("override leaked into another stage: %q", out)
	}
	os.WriteFile(filepath.Join(dir, "en", "unknown.tmpl"), []byte("{{.Nonsense}}\n"), 0o644)
	if _, err := drafts.LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), "unknown.tmpl") {
		t.Errorf("LoadTemplates with a broken override = %v, want an error naming the file", err)
	}
}

func TestNoSender(t *testing.T) {
	m := parse(t, strings.Replace(rejection, "To: Alex Morgan <alex@example.org>\r\n", "", 1))
	_, err := drafts.Compose(m, result("en", classifier.StageUnknown), drafts.Profile{}, drafts.Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "profile.address") {
		t.Errorf("Compose with no profile and no To = %v, want an error naming profile.address", err)
	}
}
