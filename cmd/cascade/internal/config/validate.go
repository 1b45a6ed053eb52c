package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// Error is a configuration that cannot be used: every problem found, each naming its key path
// (and line, for what came from the file). It wraps ErrInvalid.
type Error struct {
	Path     string
	Problems []string
}

// Error lists the problems, one per line after the first.
func (e *Error) Error() string {
	return fmt.Sprintf("config %s: %d problem(s):\n  %s", e.Path, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Defaults: a single node on embedded components, listening on loopback only.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultLedgerDir       = "cascade-data"
	DefaultPartitions      = 4
	DefaultRawTopic        = "usage.raw"
	DefaultRejectedTopic   = "usage.rejected"
	DefaultGroup           = "cascade-mediation"
	DefaultWriterTopic     = "cascade.writer"
	DefaultFollowInterval  = Duration(10 * time.Second)
	DefaultCycle           = "15 0 * * *" // daily at 00:15 UTC
	DefaultGrace           = Duration(time.Hour)
	DefaultDunningCron     = "0 6 * * *"
	DefaultNotifyInterval  = Duration(30 * time.Second)
	DefaultShutdownTimeout = Duration(30 * time.Second)
)

// defaults fills what was left empty. Billing's own defaults (late window 35 d, batch 20000,
// max backdate 366 d)
// stay billing's: zero passes through.
func (c *Config) defaults() {
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&c.HTTP.Listen, DefaultListen)
	if c.HTTP.ShutdownTimeout == 0 {
		c.HTTP.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Ledger.Embedded == nil && c.Ledger.ClickHouse == nil {
		c.Ledger.Embedded = &EmbeddedLedger{}
	}
	if c.Ledger.Embedded != nil {
		set(&c.Ledger.Embedded.Dir, DefaultLedgerDir)
	}
	if c.Ledger.ClickHouse != nil {
		set(&c.Ledger.ClickHouse.Database, "cascade")
	}
	if c.Kafka.Embedded == nil && len(c.Kafka.Brokers) == 0 {
		c.Kafka.Embedded = &EmbeddedKafka{}
	}
	if c.Kafka.Embedded != nil && c.Kafka.Embedded.Partitions == 0 {
		c.Kafka.Embedded.Partitions = DefaultPartitions
	}
	set(&c.Kafka.RawTopic, DefaultRawTopic)
	set(&c.Kafka.RejectedTopic, DefaultRejectedTopic)
	set(&c.Kafka.Group, DefaultGroup)
	set(&c.Kafka.WriterTopic, DefaultWriterTopic)
	if c.Billing.FollowInterval == 0 {
		c.Billing.FollowInterval = DefaultFollowInterval
	}
	set(&c.Billing.Cycle, DefaultCycle)
	if c.Billing.Grace == 0 {
		c.Billing.Grace = DefaultGrace
	}
	set(&c.Dunning.Cron, DefaultDunningCron)
	if c.Dunning.Steps == nil {
		for _, s := range billing.DefaultDunningSteps() {
			c.Dunning.Steps = append(c.Dunning.Steps, DunningStep{Name: s.Name, Days: s.Days, Action: string(s.Action)})
		}
	}
	if c.Notifications.Interval == 0 {
		c.Notifications.Interval = DefaultNotifyInterval
	}
	set(&c.Log.Level, "info")
	set(&c.Log.Format, "text")
}

// validate lists every problem with its key path.
func (c *Config) validate() []string {
	var p []string
	bad := func(path, format string, args ...any) { p = append(p, path+": "+fmt.Sprintf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "%q is not host:port", c.HTTP.Listen)
	}
	if c.HTTP.ShutdownTimeout < 0 {
		bad("http.shutdown_timeout", "must not be negative")
	}
	switch {
	case c.Ledger.Embedded != nil && c.Ledger.ClickHouse != nil:
		bad("ledger", "set embedded or clickhouse, not both")
	case c.Ledger.ClickHouse != nil && c.Ledger.ClickHouse.Addr == "":
		bad("ledger.clickhouse.addr", "required (host:port of the native protocol, usually 9000)")
	}
	switch {
	case c.Kafka.Embedded != nil && len(c.Kafka.Brokers) > 0:
		bad("kafka", "set embedded or brokers, not both")
	case c.Kafka.Embedded != nil && c.Kafka.Embedded.Partitions < 1:
		bad("kafka.embedded.partitions", "must be at least 1")
	}
	if c.Kafka.BatchSize < 0 {
		bad("kafka.batch_size", "must not be negative")
	}
	if c.Kafka.WriterTopic == c.Kafka.RawTopic || c.Kafka.WriterTopic == c.Kafka.RejectedTopic {
		bad("kafka.writer_topic", "must differ from raw_topic and rejected_topic")
	}
	if c.Billing.FollowInterval < 0 {
		bad("billing.follow_interval", "must not be negative")
	}
	if c.Billing.MaxBackdate < 0 {
		bad("billing.max_backdate", "must not be negative (0 is the default, 366d)")
	}
	if c.Kafka.RawTopic == c.Kafka.RejectedTopic {
		bad("kafka.rejected_topic", "must differ from raw_topic")
	}
	if c.Catalog == "" {
		bad("catalog", "required (the catalog file)")
	}
	if c.Taxes == "" {
		bad("taxes", "required (the tax rules file)")
	}
	if len(c.APIKeys) == 0 {
		if c.APIKeysFile == "" { // else loadKeysFile said what is wrong with the file
			bad("api_keys", "at least one key is required (or api_keys_file)")
		}
	} else if _, err := api.NewKeyring(c.APIKeys); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "api keys: "))
	}
	for _, s := range []struct{ path, spec string }{{"billing.cycle", c.Billing.Cycle}, {"dunning.cron", c.Dunning.Cron}} {
		if _, err := cron.ParseStandard(s.spec); err != nil {
			bad(s.path, "%q: %v", s.spec, err)
		}
	}
	if c.Billing.Grace < 0 || c.Billing.LateWindow < 0 || c.Billing.BatchSize < 0 {
		bad("billing", "grace, late_window and batch_size must not be negative")
	}
	if err := c.DunningPolicy().Validate(); err != nil {
		bad("dunning", "%v", err)
	}
	if w := c.Notifications.Webhook; w != nil {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("notifications.webhook.url", "%q is not an http(s) URL", w.URL)
		}
		if w.Secret == "" {
			bad("notifications.webhook.secret", "required: receivers verify the signature with it")
		}
	}
	if m := c.Notifications.SMTP; m != nil {
		if _, _, err := net.SplitHostPort(m.Addr); err != nil {
			bad("notifications.smtp.addr", "%q is not host:port", m.Addr)
		}
		if !strings.Contains(m.From, "@") {
			bad("notifications.smtp.from", "%q is not an e-mail address", m.From)
		}
	}
	if c.Notifications.Interval <= 0 {
		bad("notifications.interval", "must be positive")
	}
	if _, err := c.LogLevel(); err != nil {
		bad("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	return p
}

// DunningPolicy is the dunning section as billing takes it.
func (c *Config) DunningPolicy() billing.DunningPolicy {
	steps := make([]billing.DunningStep, 0, len(c.Dunning.Steps))
	for _, s := range c.Dunning.Steps {
		steps = append(steps, billing.DunningStep{Name: s.Name, Days: s.Days, Action: billing.DunningAction(s.Action)})
	}
	p := billing.DunningPolicy{Steps: steps}
	if len(c.Dunning.Accounts) > 0 {
		p.Accounts = map[string][]billing.DunningStep{}
		for id, ss := range c.Dunning.Accounts {
			steps := make([]billing.DunningStep, 0, len(ss)) // non-nil: an empty list exempts
			for _, s := range ss {
				steps = append(steps, billing.DunningStep{Name: s.Name, Days: s.Days, Action: billing.DunningAction(s.Action)})
			}
			p.Accounts[id] = steps
		}
	}
	return p
}

// LogLevel is log.level as slog takes it.
func (c *Config) LogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", c.Log.Level)
	}
	return l, nil
}
