package classifier_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/message"
)

// BenchmarkClassify classifies every corpus message once per iteration
// round; b.N counts messages.
func BenchmarkClassify(b *testing.B) {
	samples := loadCorpus(b)
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
