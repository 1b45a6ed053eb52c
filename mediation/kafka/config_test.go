package kafka_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka"
)

func TestConfigValidate(t *testing.T) {
	ok := kafka.SourceConfig{Brokers: []string{"127.0.0.1:9092"}, GroupID: "mediation"}
	tests := []struct {
		name    string
		mutate  func(*kafka.SourceConfig)
		wantErr []string // substrings; none means valid
	}{
		{"minimal config is valid", func(*kafka.SourceConfig) {}, nil},
		{"no brokers", func(c *kafka.SourceConfig) { c.Brokers = nil }, []string{"source.brokers"}},
		{"empty broker", func(c *kafka.SourceConfig) { c.Brokers = []string{"a:1", ""} }, []string{"source.brokers[1]"}},
		{"no group", func(c *kafka.SourceConfig) { c.GroupID = "" }, []string{"source.group_id"}},
		{"negative batch", func(c *kafka.SourceConfig) { c.BatchSize = -1 }, []string{"source.batch_size"}},
		{"negative wait", func(c *kafka.SourceConfig) { c.BatchWait = -time.Second }, []string{"source.batch_wait"}},
		{"retry cap below start", func(c *kafka.SourceConfig) { c.RetryInitial, c.RetryMax = time.Second, time.Millisecond }, []string{"source.retry_max"}},
		{"heartbeat not below session", func(c *kafka.SourceConfig) { c.HeartbeatInterval, c.SessionTimeout = 10*time.Second, 10*time.Second }, []string{"source.heartbeat_interval"}},
		{"every error at once", func(c *kafka.SourceConfig) { c.Brokers, c.GroupID = nil, "" }, []string{"source.brokers", "source.group_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			err := cfg.Validate()
			_, newErr := kafka.NewSource(cfg)
			if len(tt.wantErr) == 0 {
				if err != nil || newErr != nil {
					t.Fatalf("Validate = %v, NewSource = %v; want both nil", err, newErr)
				}
				return
			}
			if err == nil || newErr == nil {
				t.Fatalf("Validate = %v, NewSource = %v; want errors naming %v", err, newErr, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) || !strings.Contains(newErr.Error(), w) {
					t.Errorf("errors %q / %q do not name %s", err, newErr, w)
				}
			}
		})
	}
}

func TestWriterConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     kafka.WriterConfig
		wantErr string
	}{
		{"valid", kafka.WriterConfig{Brokers: []string{"b:1"}}, ""},
		{"no brokers", kafka.WriterConfig{}, "brokers"},
		{"unknown partitioner", kafka.WriterConfig{Brokers: []string{"b:1"}, Partitioner: "crc32"}, "partitioner"},
		{"negative batch", kafka.WriterConfig{Brokers: []string{"b:1"}, BatchSize: -5}, "batch_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, perr := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: tt.cfg})
			_, derr := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: tt.cfg})
			for section, err := range map[string]error{"producer": perr, "dead_letters": derr} {
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("%s: %v, want nil", section, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), section+"."+tt.wantErr) {
					t.Errorf("%s: error %v, want one naming %s.%s", section, err, section, tt.wantErr)
				}
			}
		})
	}
}
