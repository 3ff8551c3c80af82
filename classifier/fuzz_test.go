package classifier_test

import (
	"strings"
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

// FuzzClassify checks that Classify never panics and that its explanation
// always adds up: the score is the sum of the counted rules' weights, and a
// draft address is never a robot's.
func FuzzClassify(f *testing.F) {
	for _, s := range loadCorpus(f)[:40] {
		f.Add(s.msg.Subject, s.msg.Text, s.msg.From.Name, s.msg.From.Addr)
	}
	f.Add("Re: Re:", "not * ~not ** * . . .", "", "")
	f.Add("", "won't won't won't n'a pas pas", "no-reply", "noreply@greenhouse.io")
	c, err := classifier.New(classifier.Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, subject, text, name, addr string) {
		m := &message.Message{Subject: subject, Text: text, From: message.Address{Name: name, Addr: addr}}
		res := c.Classify(m)
		sum, decided := 0, 0
		for _, h := range res.Hits {
			switch h.Signal {
			case classifier.Decision:
				decided += h.Weight
			case classifier.Job, classifier.Against:
				sum += h.Weight
			}
			if h.Match == "" {
				t.Fatalf("hit %s with an empty match", h.Rule)
			}
		}
		if cap := c.Rules().DecisionCap; decided > cap {
			decided = cap
		}
		if res.Score != sum+decided {
			t.Fatalf("score %d, but the hits add up to %d", res.Score, sum+decided)
		}
		if res.ContactAddress != "" && classifier.IsRobot(message.Address{Addr: res.ContactAddress}) {
			t.Fatalf("contact address %q is a robot", res.ContactAddress)
		}
		if strings.ContainsAny(res.Company+res.Role+res.ContactName, "\r\n") {
			t.Fatalf("line break in an extracted field")
		}
	})
}
