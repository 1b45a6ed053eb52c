package chaos

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Meter is the catalog's one usage meter; the stream sends it.
const Meter = "calls"

// Catalog is the children's catalog: one vendor, one monthly plan with a graduated usage
// charge and no fee billed in advance, so a period's invoice is exactly its usage (the e2e
// test's catalog).
const Catalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: std
    version: 1
    product: p1
    name: Standard
    currency: EUR
    billing_period: month
    charges:
      - id: calls
        type: usage
        meter: calls
        model: graduated
        tiers:
          - {up_to: 100, unit_price: 0.10}
          - {unit_price: 0.05}
`

// Taxes is the children's tax rules.
const Taxes = "jurisdictions:\n  DE: { name: VAT, rate: 19, reverse_charge: true }\n"

// Keys are the API keys every child accepts, by name: the name is what Do and Call take.
var Keys = map[string]struct{ Role, Partner string }{
	"admin": {"admin", ""}, "finance": {"finance", ""}, "vendor": {"vendor", "v1"},
}

// Key returns the secret of a key name (the config holds only its SHA-256).
func Key(name string) string { return "chaos-key-" + name }

// InstanceOptions changes what an Instance's config says.
type InstanceOptions struct {
	// Name names the instance in logs and its directory (default "a", "b", ... by creation).
	Name string
	// BatchSize is kafka.batch_size (default 50: many batches, so kills land mid-stream).
	BatchSize int
	// SessionTimeout and HeartbeatInterval are the consumer group's (defaults 3s and 500ms: a
	// killed member is evicted fast; Env lowers kfake's minimum session timeout to 1 s).
	SessionTimeout, HeartbeatInterval string
	// BillingBatchSize is billing.batch_size, invoices per ledger write in a cycle (default 3:
	// a cycle of a few dozen invoices makes several writes, so a kill can land between them).
	BillingBatchSize int
	// Env is extra environment for the child, "KEY=value" (e.g. CASCADE_FAULT_KILL_AFTER_WRITE).
	Env []string
	// Extra is appended to the YAML config as is (top-level keys the suite needs).
	Extra string
}

func (o InstanceOptions) withDefaults() InstanceOptions {
	if o.BatchSize == 0 {
		o.BatchSize = 50
	}
	if o.BillingBatchSize == 0 {
		o.BillingBatchSize = 3
	}
	if o.SessionTimeout == "" {
		o.SessionTimeout = "3s"
	}
	if o.HeartbeatInterval == "" {
		o.HeartbeatInterval = "500ms"
	}
	return o
}

// writeConfig writes catalog, taxes and cascade.yaml into dir and returns the config's path.
func writeConfig(dir string, sc *Scenario, listen string, o InstanceOptions) (string, error) {
	for name, body := range map[string]string{"catalog.yaml": Catalog, "taxes.yaml": Taxes} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return "", fmt.Errorf("chaos: write %s: %w", name, err)
		}
	}
	names := make([]string, 0, len(Keys))
	for n := range Keys {
		names = append(names, n)
	}
	sort.Strings(names)
	var keys strings.Builder
	for _, n := range names {
		k := Keys[n]
		sum := sha256.Sum256([]byte(Key(n)))
		fmt.Fprintf(&keys, "  - {name: %s, sha256: %s, role: %s", n, hex.EncodeToString(sum[:]), k.Role)
		if k.Partner != "" {
			fmt.Fprintf(&keys, ", partner: %s", k.Partner)
		}
		keys.WriteString("}\n")
	}
	cfg := fmt.Sprintf(`http: {listen: %q, shutdown_timeout: 10s}
ledger:
  clickhouse: {addr: %q, database: %s}
kafka:
  brokers: [%s]
  raw_topic: %s
  rejected_topic: %s
  group: %s
  batch_size: %d
  session_timeout: %s
  heartbeat_interval: %s
catalog: catalog.yaml
taxes: taxes.yaml
api_keys:
%sbilling: {cycle: "0 0 1 1 *", grace: 1h, batch_size: %d}
dunning: {cron: "0 0 1 1 *"}
log: {level: info, format: json}
`, listen, sc.Env.CH.Addr, sc.Database, strings.Join(sc.Env.Kafka.Brokers(), ", "), sc.RawTopic, sc.RejectedTopic,
		sc.Group, o.BatchSize, o.SessionTimeout, o.HeartbeatInterval, keys.String(), o.BillingBatchSize)
	cfg += o.Extra
	p := filepath.Join(dir, "cascade.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("chaos: write the config: %w", err)
	}
	return p, nil
}
