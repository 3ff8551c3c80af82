package drafts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/highroad/highroad/classifier"
)

//go:embed templates
var embedded embed.FS

// Stages are the stages a template exists for, in file-name form.
var Stages = []classifier.Stage{classifier.StageAfterInterview, classifier.StageBeforeInterview, classifier.StageUnknown}

// Data is what a reply template can use. Every field may be empty.
type Data struct {
	ContactName  string // the person to greet, "Priya Natarajan"
	ContactFirst string // their first name, "Priya"
	Company      string
	Role         string
	UserName     string // the candidate
	UserFirst    string
	LinkedIn     string // the candidate's profile URL
	Signature    string // the candidate's signature, without a final newline
}

// Templates are the reply templates by language and stage.
type Templates struct {
	byKey map[string]*template.Template
}

func key(lang string, stage classifier.Stage) string { return lang + "/" + string(stage) }

// LoadTemplates returns the embedded templates, each replaced by the file
// dir/<lang>/<stage>.tmpl where one exists (dir may be empty). Every
// template is parsed and tried on empty and full data, so that a broken
// override is reported here, not when a rejection arrives.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{byKey: map[string]*template.Template{}}
	for _, lang := range classifier.Languages {
		for _, stage := range Stages {
			name := key(lang, stage) + ".tmpl"
			src, err := fs.ReadFile(embedded, "templates/"+name)
			if err != nil {
				return nil, fmt.Errorf("embedded template %s: %w", name, err)
			}
			origin := "embedded " + name
			if dir != "" {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if b, err := os.ReadFile(p); err == nil {
					src, origin = b, p
				} else if !errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("template %s: %w", p, err)
				}
			}
			tmpl, err := parseTemplate(origin, string(src))
			if err != nil {
				return nil, err
			}
			t.byKey[key(lang, stage)] = tmpl
		}
	}
	return t, nil
}

func parseTemplate(origin, src string) (*template.Template, error) {
	tmpl, err := template.New(origin).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", origin, err)
	}
	full := Data{ContactName: "A B", ContactFirst: "A", Company: "C", Role: "R", UserName: "U V", UserFirst: "U", LinkedIn: "L", Signature: "S"}
	for _, d := range []Data{{}, full} {
		if err := tmpl.Execute(new(bytes.Buffer), d); err != nil {
			return nil, fmt.Errorf("template %s: %w", origin, err)
		}
	}
	return tmpl, nil
}

// Render writes the body for a language and stage, falling back to English
// and to the unknown stage where no template exists.
func (t *Templates) Render(lang string, stage classifier.Stage, d Data) (string, error) {
	tmpl := t.byKey[key(lang, stage)]
	if tmpl == nil {
		tmpl = t.byKey[key(lang, classifier.StageUnknown)]
	}
	if tmpl == nil {
		tmpl = t.byKey[key("en", stage)]
	}
	if tmpl == nil {
		tmpl = t.byKey[key("en", classifier.StageUnknown)]
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("render %s: %w", tmpl.Name(), err)
	}
	return b.String(), nil
}
