package classifier_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

// BenchmarkClassify classifies the corpus messages in turn; b.N counts
// messages. Half the corpus is rejections, for which the contact, company
// and role are extracted too.
func BenchmarkClassify(b *testing.B) {
	benchClassify(b, loadCorpus(b))
}

// BenchmarkClassifyOther classifies only the corpus's look-alikes: the
// common case in a real mailbox, where rejections are a few in a hundred and
// nothing needs extracting.
func BenchmarkClassifyOther(b *testing.B) {
	var other []sample
	for _, s := range loadCorpus(b) {
		if !s.label.Rejection {
			other = append(other, s)
		}
	}
	benchClassify(b, other)
}

func benchClassify(b *testing.B, samples []sample) {
	c, err := classifier.New(classifier.Default())
	if err != nil {
		b.Fatal(err)
	}
	var bytesIn int
	for _, s := range samples {
		bytesIn += len(s.msg.Text) + len(s.msg.Subject)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(samples[i%len(samples)].msg)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(bytesIn)/float64(len(samples)), "text-bytes/msg")
}

// BenchmarkParseClassify includes MIME parsing, as the daemon does.
func BenchmarkParseClassify(b *testing.B) {
	samples := loadCorpus(b)
	raws := make([][]byte, len(samples))
	size := 0
	for i, s := range samples {
		raws[i], _ = os.ReadFile(s.path)
		size += len(raws[i])
	}
	c, _ := classifier.New(classifier.Default())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := message.Parse(bytes.NewReader(raws[i%len(raws)]))
		if err != nil {
			b.Fatal(err)
		}
		c.Classify(m)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(size)/float64(len(raws)), "raw-bytes/msg")
}
