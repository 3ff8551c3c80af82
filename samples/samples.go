// Package samples holds a few example messages, rejections and look-alikes,
// embedded in the binary so that highroad can show what it does on a
// machine with no mail account configured.
package samples

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.eml
var files embed.FS

// Sample is one example message.
type Sample struct {
	Name string // file name, such as "01-rejection-ats-after-onsite.eml"
	Raw  []byte // the message as it would arrive
}

// All returns the samples in name order.
func All() []Sample {
	names, _ := fs.Glob(files, "*.eml")
	sort.Strings(names)
	out := make([]Sample, 0, len(names))
	for _, n := range names {
		b, _ := files.ReadFile(n)
		out = append(out, Sample{Name: n, Raw: b})
	}
	return out
}
