package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Default topic names, shared with the HTTP connector and the operations guide.
const (
	// DefaultRawTopic carries raw usage records keyed by ownership scope.
	DefaultRawTopic = "usage.raw"
	// DefaultRejectedTopic carries rejected records with their original bytes and reason.
	DefaultRejectedTopic = "usage.rejected"
)

// SourceConfig configures a consumer-group Source. Zero values take the documented defaults,
// so a config needs only Brokers and GroupID.
type SourceConfig struct {
	Brokers []string // host:port of at least one broker
	Topic   string   // default DefaultRawTopic
	GroupID string   // the consumer group; every instance of one pipeline uses the same id

	// BatchSize caps the messages handed to Handle at once (default 1000); BatchWait is how long
	// a batch may wait to fill after its first message (default 50ms), which bounds latency.
	BatchSize int
	BatchWait time.Duration
	// MaxBytes is the per-fetch byte limit of a partition reader (default 1 MiB: 16 MiB was
	// measured to cause i/o timeouts against the in-process broker).
	MaxBytes int

	// Group membership timings (defaults 3s, 30s, 30s). A handler that keeps one batch longer
	// than RebalanceTimeout during a rebalance gets this member expelled from the group.
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	// JoinBackoff is the pause before rejoining after the group could not be joined, e.g.
	// while the brokers are unreachable (default 5s).
	JoinBackoff time.Duration

	// RetryInitial and RetryMax bound the exponential backoff between attempts of a batch
	// whose Handle failed (defaults 100ms and 10s).
	RetryInitial time.Duration
	RetryMax     time.Duration

	// ShutdownTimeout bounds how long an in-flight batch may take once shutdown or a rebalance
	// began (default 30s); after it the batch's context is cancelled and it is not committed.
	ShutdownTimeout time.Duration

	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now; stamps how long a failing batch has been retried
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg SourceConfig) withDefaults() SourceConfig {
	if cfg.Topic == "" {
		cfg.Topic = DefaultRawTopic
	}
	setInt(&cfg.BatchSize, 1000)
	setInt(&cfg.MaxBytes, 1<<20)
	setDur(&cfg.BatchWait, 50*time.Millisecond)
	setDur(&cfg.HeartbeatInterval, 3*time.Second)
	setDur(&cfg.SessionTimeout, 30*time.Second)
	setDur(&cfg.RebalanceTimeout, 30*time.Second)
	setDur(&cfg.JoinBackoff, 5*time.Second)
	setDur(&cfg.RetryInitial, 100*time.Millisecond)
	setDur(&cfg.RetryMax, 10*time.Second)
	setDur(&cfg.ShutdownTimeout, 30*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return cfg
}

// Validate reports every invalid field, named by its path, so one start-up error lists them all.
func (cfg SourceConfig) Validate() error {
	var errs []error
	errs = append(errs, validateBrokers("source", cfg.Brokers)...)
	if cfg.GroupID == "" {
		errs = append(errs, errors.New("source.group_id: required"))
	}
	if cfg.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("source.batch_size: %d is negative", cfg.BatchSize))
	}
	if cfg.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("source.max_bytes: %d is negative", cfg.MaxBytes))
	}
	for _, d := range []struct {
		path string
		v    time.Duration
	}{
		{"source.batch_wait", cfg.BatchWait},
		{"source.heartbeat_interval", cfg.HeartbeatInterval},
		{"source.session_timeout", cfg.SessionTimeout},
		{"source.rebalance_timeout", cfg.RebalanceTimeout},
		{"source.join_backoff", cfg.JoinBackoff},
		{"source.retry_initial", cfg.RetryInitial},
		{"source.retry_max", cfg.RetryMax},
		{"source.shutdown_timeout", cfg.ShutdownTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative", d.path, d.v))
		}
	}
	if cfg.RetryInitial > 0 && cfg.RetryMax > 0 && cfg.RetryMax < cfg.RetryInitial {
		errs = append(errs, fmt.Errorf("source.retry_max: %s is below source.retry_initial %s", cfg.RetryMax, cfg.RetryInitial))
	}
	if cfg.HeartbeatInterval > 0 && cfg.SessionTimeout > 0 && cfg.HeartbeatInterval >= cfg.SessionTimeout {
		errs = append(errs, fmt.Errorf("source.heartbeat_interval: %s must be below source.session_timeout %s", cfg.HeartbeatInterval, cfg.SessionTimeout))
	}
	return errors.Join(errs...)
}

// validateBrokers checks a broker list under the given config section name.
func validateBrokers(section string, brokers []string) []error {
	if len(brokers) == 0 {
		return []error{fmt.Errorf("%s.brokers: at least one broker is required", section)}
	}
	var errs []error
	for i, b := range brokers {
		if b == "" {
			errs = append(errs, fmt.Errorf("%s.brokers[%d]: empty address", section, i))
		}
	}
	return errs
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

func setDur(p *time.Duration, def time.Duration) {
	if *p == 0 {
		*p = def
	}
}
