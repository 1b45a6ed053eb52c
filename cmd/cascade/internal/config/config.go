// Package config reads `cascade serve`'s configuration: one YAML file, then environment
// overrides (CASCADE_<SECTION>_<KEY>), then defaults, then validation. Every problem is reported
// at once, each with its key path (and its line when it came from the file), because an operator
// fixing a config one error per restart is an operator having a bad night.
//
// Every key, its environment variable and its default are listed in docs/configuration.md; a
// test keeps that page and Keys in step.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// ErrInvalid marks a configuration that cannot be used: an unknown key, a bad value, a missing
// file. Load wraps every problem with it.
var ErrInvalid = errors.New("invalid configuration")

// Config is the whole service configuration. Paths are resolved against the config file's
// directory, so a config and its catalog can move together.
type Config struct {
	HTTP          HTTP          `yaml:"http"`
	Ledger        Ledger        `yaml:"ledger"`
	Kafka         Kafka         `yaml:"kafka"`
	Catalog       string        `yaml:"catalog"`
	Taxes         string        `yaml:"taxes"`
	APIKeys       []api.Key     `yaml:"api_keys"`
	APIKeysFile   string        `yaml:"api_keys_file"`
	Billing       Billing       `yaml:"billing"`
	Dunning       Dunning       `yaml:"dunning"`
	Notifications Notifications `yaml:"notifications"`
	Payments      Payments      `yaml:"payments"`
	Log           Log           `yaml:"log"`
}

// HTTP is the API listener.
type HTTP struct {
	// Listen is host:port; ":0" picks a free port (tests).
	Listen string `yaml:"listen"`
	// ShutdownTimeout bounds the drain of in-flight requests on shutdown.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Ledger selects the ledger backend: embedded ClickHouse (chdb) in a directory, or a
// ClickHouse server. Exactly one; embedded when neither is given.
type Ledger struct {
	Embedded   *EmbeddedLedger `yaml:"embedded"`
	ClickHouse *ClickHouse     `yaml:"clickhouse"`
}

// EmbeddedLedger is the chdb ledger's data directory (one process at a time).
type EmbeddedLedger struct {
	Dir string `yaml:"dir"`
}

// ClickHouse is a ClickHouse server reached over the native protocol.
type ClickHouse struct {
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Kafka is where usage flows: an in-process broker (Embedded; a single node and tests) or a
// cluster (Brokers). Topics and group apply to both.
type Kafka struct {
	Embedded      *EmbeddedKafka `yaml:"embedded"`
	Brokers       []string       `yaml:"brokers"`
	RawTopic      string         `yaml:"raw_topic"`
	RejectedTopic string         `yaml:"rejected_topic"`
	Group         string         `yaml:"group"`
	// BatchSize is the consumer's records per batch (one ledger write each).
	BatchSize int `yaml:"batch_size"`
	// SessionTimeout is how long the group waits for a silent member (a crashed instance)
	// before its partitions move to the others; HeartbeatInterval must be well below it.
	// Zero keeps the source's defaults (30s and 3s).
	SessionTimeout    Duration `yaml:"session_timeout"`
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// WriterTopic is the one-partition topic whose consumer group (the mediation group's
	// name + ".writer") elects the instance that writes billing (docs/operations.md).
	WriterTopic string `yaml:"writer_topic"`
}

// EmbeddedKafka is the in-process broker; its raw topic gets Partitions partitions.
type EmbeddedKafka struct {
	Partitions int `yaml:"partitions"`
}

// Billing is the invoice cycle.
type Billing struct {
	// Cycle is when the cycle runs (robfig/cron standard syntax, UTC).
	Cycle string `yaml:"cycle"`
	// Grace is how long after a period ends late usage is waited for before it is invoiced.
	Grace Duration `yaml:"grace"`
	// LateWindow is how far back the cycle looks for usage of already invoiced periods.
	LateWindow Duration `yaml:"late_window"`
	// FollowInterval is how often an instance that is not the billing writer reloads billing
	// from the ledger (its reads and usage enrichment catch up with the writer's changes).
	FollowInterval Duration `yaml:"follow_interval"`
	// BatchSize is how many invoices one ledger write issues.
	BatchSize int `yaml:"batch_size"`
	// MaxBackdate is how far before now a new subscription may start, or a change take
	// effect (billing.Config.MaxBackdate; 0 is billing's default, 366 days).
	MaxBackdate Duration `yaml:"max_backdate"`
}

// Dunning is the reminder and suspension run.
type Dunning struct {
	Cron  string        `yaml:"cron"`
	Steps []DunningStep `yaml:"steps"`
	// Accounts overrides the steps per buyer account id (credit terms agreed with one
	// customer); an empty list exempts the buyer from dunning.
	Accounts map[string][]DunningStep `yaml:"accounts"`
}

// DunningStep is billing.DunningStep in the file's spelling.
type DunningStep struct {
	Name   string `yaml:"name"`
	Days   int    `yaml:"days"`
	Action string `yaml:"action"`
}

// Notifications are the channels the outbox is delivered over; none configured leaves the
// outbox queued (nothing is lost: a later start with a channel delivers it).
type Notifications struct {
	Webhook *NotifyWebhook `yaml:"webhook"`
	SMTP    *NotifySMTP    `yaml:"smtp"`
	// Interval is the pause between two dispatcher passes over the outbox.
	Interval Duration `yaml:"interval"`
}

// NotifyWebhook posts each notification as signed JSON.
type NotifyWebhook struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// NotifySMTP sends e-mail through a relay.
type NotifySMTP struct {
	Addr string `yaml:"addr"`
	From string `yaml:"from"`
}

// Payments is the payment provider's webhook (POST /v1/payments/webhook); an empty secret
// leaves the route answering 503.
type Payments struct {
	WebhookSecret string `yaml:"webhook_secret"`
}

// Log is the structured log's level (debug, info, warn, error) and format (text, json).
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Load reads the file at path, applies the environment overrides read through getenv (nil:
// none), fills in defaults, loads api_keys_file and validates. Every problem is listed in the
// one error, which wraps ErrInvalid.
func Load(path string, getenv func(string) string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w: %w", path, err, ErrInvalid)
	}
	cfg, problems := parse(raw)
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	problems = append(problems, applyEnv(cfg, getenv)...)
	cfg.defaults()
	cfg.resolve(filepath.Dir(path))
	problems = append(problems, cfg.loadKeysFile()...)
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return nil, &Error{Path: path, Problems: problems}
	}
	return cfg, nil
}

// parse decodes the YAML strictly: unknown keys are problems with their line and key path.
func parse(raw []byte) (*Config, []string) {
	cfg := &Config{}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return cfg, []string{err.Error()}
	}
	if len(doc.Content) == 0 { // an empty file: everything from env and defaults
		return cfg, nil
	}
	root := doc.Content[0]
	problems := unknownKeys(root, typeOfConfig, "")
	if err := root.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			problems = append(problems, te.Errors...)
		} else {
			problems = append(problems, err.Error())
		}
	}
	return cfg, problems
}

// resolve makes relative file paths relative to the config file's directory.
func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.Catalog)
	abs(&c.Taxes)
	abs(&c.APIKeysFile)
	if c.Ledger.Embedded != nil {
		abs(&c.Ledger.Embedded.Dir)
	}
}

// loadKeysFile reads api_keys_file: a YAML list of keys in the api_keys format.
func (c *Config) loadKeysFile() []string {
	if c.APIKeysFile == "" {
		return nil
	}
	if len(c.APIKeys) > 0 {
		return []string{"api_keys_file: set together with api_keys; configure keys in one place"}
	}
	raw, err := os.ReadFile(c.APIKeysFile)
	if err != nil {
		return []string{fmt.Sprintf("api_keys_file: %v", err)}
	}
	var keys []api.Key
	dec := yaml.NewDecoder(bytesReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&keys); err != nil {
		return []string{fmt.Sprintf("api_keys_file %s: %v", c.APIKeysFile, err)}
	}
	c.APIKeys = keys
	return nil
}
