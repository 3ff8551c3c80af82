package classifier_test

import (
	"testing"

	"github.com/highroad/highroad/classifier"
)

// TestScoreIsTheSumOfItsEvidence checks, over the whole corpus, that the
// explanation adds up: the score is the sum of the weights of the hits
// that count, the decision cap included.
func TestScoreIsTheSumOfItsEvidence(t *testing.T) {
	c, err := classifier.New(classifier.Default())
	if err != nil {
		t.Fatal(err)
	}
	capped := 0
	for _, s := range loadCorpus(t) {
		res := c.Classify(s.msg)
		sum := 0
		for _, h := range res.Hits {
			if h.Counts() {
				sum += h.Weight
			}
			if h.Rule == classifier.CapRule {
				capped++
			}
		}
		if sum != res.Score {
			t.Errorf("%s: score %d, but the counted hits add up to %d: %+v", s.path, res.Score, sum, res.Hits)
		}
	}
	if capped == 0 {
		t.Error("no corpus message reached the decision cap; the cap's hit is untested")
	}
}
