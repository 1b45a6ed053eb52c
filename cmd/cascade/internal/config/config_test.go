package config_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
)

func hash(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// base is a minimal valid file; cases append to it or replace it.
var base = `catalog: catalog.yaml
taxes: taxes.yaml
api_keys:
  - {name: ops, sha256: ` + hash("ops-key") + `, role: admin}
`

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaultsAndPaths(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(write(t, dir, "c.yaml", base), nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"listen", cfg.HTTP.Listen, config.DefaultListen},
		{"catalog resolved against the file's dir", cfg.Catalog, filepath.Join(dir, "catalog.yaml")},
		{"embedded ledger dir", cfg.Ledger.Embedded.Dir, filepath.Join(dir, config.DefaultLedgerDir)},
		{"embedded kafka partitions", cfg.Kafka.Embedded.Partitions, config.DefaultPartitions},
		{"raw topic", cfg.Kafka.RawTopic, config.DefaultRawTopic},
		{"cycle", cfg.Billing.Cycle, config.DefaultCycle},
		{"dunning steps", len(cfg.Dunning.Steps) > 0, true},
		{"log format", cfg.Log.Format, "text"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	env := map[string]string{
		"CASCADE_HTTP_LISTEN":             "127.0.0.1:9999",
		"CASCADE_LEDGER_CLICKHOUSE_ADDR":  "db:9000",
		"CASCADE_KAFKA_BROKERS":           "k1:9092, k2:9092",
		"CASCADE_BILLING_LATE_WINDOW":     "10d",
		"CASCADE_BILLING_BATCH_SIZE":      "500",
		"CASCADE_PAYMENTS_WEBHOOK_SECRET": "s3cret",
		"CASCADE_NOTIFICATIONS_SMTP_ADDR": "mail:25",
		"CASCADE_NOTIFICATIONS_SMTP_FROM": "billing@example.com",
		"CASCADE_LOG_FORMAT":              "json",
	}
	cfg, err := config.Load(write(t, t.TempDir(), "c.yaml", base+"http: {listen: '127.0.0.1:1'}\n"),
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"listen", cfg.HTTP.Listen, "127.0.0.1:9999"},
		{"clickhouse addr", cfg.Ledger.ClickHouse.Addr, "db:9000"},
		{"clickhouse makes the ledger not embedded", cfg.Ledger.Embedded == nil, true},
		{"brokers", strings.Join(cfg.Kafka.Brokers, "|"), "k1:9092|k2:9092"},
		{"brokers make kafka not embedded", cfg.Kafka.Embedded == nil, true},
		{"late window", cfg.Billing.LateWindow.D(), 10 * 24 * time.Hour},
		{"batch size", cfg.Billing.BatchSize, 500},
		{"payments secret", cfg.Payments.WebhookSecret, "s3cret"},
		{"smtp from", cfg.Notifications.SMTP.From, "billing@example.com"},
		{"log format", cfg.Log.Format, "json"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestLoadProblems(t *testing.T) {
	cases := []struct {
		name string
		body string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"unknown keys with line and path", base + "http:\n  listn: x\nledger:\n  embeded: {}\n",
			nil, []string{"line 6: http.listn: unknown key", "line 8: ledger.embeded: unknown key"}},
		{"unknown key inside a list", base + "dunning:\n  steps:\n    - {name: a, days: 1, action: reminder, when: x}\n",
			nil, []string{"dunning.steps[0].when: unknown key"}},
		{"every problem at once", "http: {listen: nope}\nlog: {level: loud, format: xml}\nnope: 1\n", nil,
			[]string{"line 3: nope: unknown key", "http.listen", "catalog: required", "taxes: required", "api_keys", "log.level", "log.format"}},
		{"both ledgers", base + "ledger:\n  embedded: {dir: d}\n  clickhouse: {addr: 'h:9000'}\n", nil,
			[]string{"ledger: set embedded or clickhouse, not both"}},
		{"both kafkas", base + "kafka:\n  embedded: {partitions: 2}\n  brokers: ['k:9092']\n", nil,
			[]string{"kafka: set embedded or brokers, not both"}},
		{"bad cron", base + "billing: {cycle: 'every day'}\n", nil, []string{"billing.cycle"}},
		{"bad duration has its line", base + "billing: {late_window: soon}\n", nil, []string{"line 5", `duration "soon"`}},
		{"bad env value names the variable", base, map[string]string{"CASCADE_BILLING_BATCH_SIZE": "many"},
			[]string{"billing.batch_size (CASCADE_BILLING_BATCH_SIZE)"}},
		{"partner key without partner", "catalog: c\ntaxes: t\napi_keys:\n  - {name: r, sha256: " + hash("r") + ", role: reseller}\n",
			nil, []string{"api_keys[0].partner: required"}},
		{"webhook needs a secret", base + "notifications:\n  webhook: {url: 'https://hooks.example.com/x'}\n", nil,
			[]string{"notifications.webhook.secret"}},
		{"unknown key in a per-account schedule", base + "dunning:\n  accounts:\n    c1: [{name: a, days: 1, action: reminder, wen: 2}]\n", nil,
			[]string{"line 7: dunning.accounts.c1[0].wen: unknown key"}},
		{"bad per-account step", base + "dunning:\n  accounts:\n    c1: [{name: a, days: 1, action: shout}]\n", nil,
			[]string{"dunning", "c1"}},
		{"bad dunning action", base + "dunning:\n  steps: [{name: a, days: 1, action: shout}]\n", nil, []string{"dunning"}},
		{"yaml syntax", "http: [\n", nil, []string{"yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(write(t, t.TempDir(), "c.yaml", c.body), func(k string) string { return c.env[k] })
			if err == nil {
				t.Fatal("Load accepted the config")
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("error is not ErrInvalid: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestDunningPolicy(t *testing.T) {
	body := base + "dunning:\n  steps: [{name: r1, days: 2, action: reminder}]\n  accounts:\n    vip: []\n    slow: [{name: s, days: 30, action: suspend}]\n"
	cfg, err := config.Load(write(t, t.TempDir(), "c.yaml", body), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.DunningPolicy()
	if len(p.Steps) != 1 || p.Steps[0].Days != 2 || string(p.Steps[0].Action) != "reminder" {
		t.Errorf("steps %+v", p.Steps)
	}
	if vip, ok := p.Accounts["vip"]; !ok || vip == nil || len(vip) != 0 {
		t.Errorf("vip must be exempt (an empty, non-nil schedule): %#v", p.Accounts["vip"])
	}
	if slow := p.Accounts["slow"]; len(slow) != 1 || slow[0].Days != 30 {
		t.Errorf("slow: %+v", slow)
	}
}

func TestLoadKeysFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "keys.yaml", "- {name: v, sha256: "+hash("v")+", role: vendor, partner: acme}\n")
	cfg, err := config.Load(write(t, dir, "c.yaml", "catalog: c\ntaxes: t\napi_keys_file: keys.yaml\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.APIKeys) != 1 || cfg.APIKeys[0].Partner != "acme" {
		t.Fatalf("keys from file: %+v", cfg.APIKeys)
	}
	_, err = config.Load(write(t, dir, "c2.yaml", base+"api_keys_file: keys.yaml\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "api_keys_file: set together with api_keys") {
		t.Fatalf("keys in two places: %v", err)
	}
}

// TestDocsListEveryKey keeps docs/configuration.md complete: every key and its variable.
func TestDocsListEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys() {
		if !strings.Contains(string(doc), "`"+k.Env+"`") {
			t.Errorf("docs/configuration.md does not list %s (%s)", k.Path, k.Env)
		}
	}
}

// TestExampleLoads keeps examples/cascade.yaml a working configuration.
func TestExampleLoads(t *testing.T) {
	cfg, err := config.Load("../../../../examples/cascade.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.APIKeys) == 0 || cfg.Ledger.Embedded == nil || cfg.Kafka.Embedded == nil {
		t.Errorf("example: %+v", cfg)
	}
	if _, err := os.Stat(cfg.Catalog); err != nil {
		t.Errorf("the example's catalog: %v", err)
	}
}
