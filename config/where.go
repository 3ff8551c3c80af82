package config

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/highroad/highroad/classifier"
)

// file is a configuration file's YAML tree, kept to say on which line a
// setting is written.
type file struct {
	path string
	root *yaml.Node // the top-level mapping; nil for an empty file
}

func parseFile(path string, b []byte) (*file, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	f := &file{path: path}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		f.root = doc.Content[0]
	}
	return f, nil
}

// at returns "path:line" with the line of the first node that is not nil,
// or line 1.
func (f *file) at(nodes ...*yaml.Node) string {
	for _, n := range nodes {
		if n != nil {
			return fmt.Sprintf("%s:%d", f.path, n.Line)
		}
	}
	return f.path + ":1"
}

// key returns the node of key in the mapping m, or nil.
func (f *file) key(m *yaml.Node, key string) *yaml.Node {
	if i := f.index(m, key); i >= 0 {
		return resolve(m).Content[i]
	}
	return nil
}

// value returns the value under key in the mapping m, or nil.
func (f *file) value(m *yaml.Node, key string) *yaml.Node {
	if i := f.index(m, key); i >= 0 {
		return resolve(resolve(m).Content[i+1])
	}
	return nil
}

func (f *file) index(m *yaml.Node, key string) int {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// item returns the i-th element of the sequence s, or nil.
func (f *file) item(s *yaml.Node, i int) *yaml.Node {
	s = resolve(s)
	if s == nil || s.Kind != yaml.SequenceNode || i >= len(s.Content) {
		return nil
	}
	return s.Content[i]
}

// resolve follows an alias to the node it names, where its value is
// written.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// validateClassifier applies the user's changes to the default rules and
// reports a failure at the change that causes it.
func (c *Config) validateClassifier(f *file) error {
	if _, err := c.Rules(); err != nil {
		at, err := c.badChange(f, err)
		return fmt.Errorf("%s: classifier: %w", at, err)
	}
	return nil
}

// badChange finds the change that fails on its own, a threshold, a disabled
// id or a rule, and returns its place and error; else the place of the
// classifier section (or of a rule id used twice) and err, the error of all
// the changes together.
func (c *Config) badChange(f *file, err error) (string, error) {
	section, ch := f.key(f.root, "classifier"), f.value(f.root, "classifier")
	def := classifier.Default()
	if _, e := def.Apply(classifier.Changes{Threshold: c.Classifier.Threshold}); e != nil {
		return f.at(f.key(ch, "threshold"), section), e
	}
	disable := f.value(ch, "disable")
	for i, id := range c.Classifier.Disable {
		if _, e := def.Apply(classifier.Changes{Disable: []string{id}}); e != nil {
			return f.at(f.item(disable, i), disable, section), e
		}
	}
	rules := f.value(ch, "rules")
	seen := map[string]bool{}
	for i, r := range c.Classifier.Rules {
		if _, e := def.Apply(classifier.Changes{Rules: []classifier.Rule{r}}); e != nil {
			return f.at(f.item(rules, i), rules, section), e
		}
		if seen[r.ID] {
			return f.at(f.item(rules, i), rules, section), err
		}
		seen[r.ID] = true
	}
	return f.at(section), err
}
