package soak

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
)

// The soak's API keys; the config holds only their hashes.
const (
	AdminKey  = "soak-admin-key"
	VendorKey = "soak-vendor-key" // vendor v1, which also authenticates POST /v1/usage
)

// Meter is the one metered dimension the load sends: priced per unit, so every accepted
// record is also rated (mediation's full path runs, not only the usage write).
const Meter = chaos.Meter

// The soak's catalog and taxes are the chaos suite's: one vendor, one plan with a graduated
// usage charge on Meter.
const (
	catalogYAML = chaos.Catalog
	taxesYAML   = chaos.Taxes
)

// Setup is where the child keeps its data and what it talks to.
type Setup struct {
	ClickHouseAddr string   // native protocol host:port of the ledger's server
	Database       string   // its database (created by the service)
	Brokers        []string // the Kafka cluster; both topics must exist
}

// WriteConfig writes catalog, taxes and a serve config into dir and returns the config's path.
// The invoice cycle and dunning are set to 1 January, so no cycle runs during a soak: the soak
// measures the usage path.
func WriteConfig(dir string, st Setup) (string, error) {
	key := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	var brokers bytes.Buffer
	for i, b := range st.Brokers {
		if i > 0 {
			brokers.WriteString(", ")
		}
		fmt.Fprintf(&brokers, "%q", b)
	}
	cfg := fmt.Sprintf(`http: {listen: "127.0.0.1:0", shutdown_timeout: 20s}
ledger:
  clickhouse: {addr: %q, database: %s}
kafka:
  brokers: [%s]
catalog: catalog.yaml
taxes: taxes.yaml
api_keys:
  - {name: admin, sha256: %s, role: admin}
  - {name: vendor, sha256: %s, role: vendor, partner: v1}
billing: {cycle: "0 0 1 1 *", grace: 1h}
dunning: {cron: "0 0 1 1 *"}
log: {level: info, format: json}
`, st.ClickHouseAddr, st.Database, brokers.String(), key(AdminKey), key(VendorKey))
	for name, body := range map[string]string{"catalog.yaml": catalogYAML, "taxes.yaml": taxesYAML, "cascade.yaml": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return "", fmt.Errorf("%w: write %s: %w", ErrService, name, err)
		}
	}
	return filepath.Join(dir, "cascade.yaml"), nil
}

// Customers creates, over POST /v1/accounts and POST /v1/subscriptions with the admin key,
// the channel v1 → d1 → r1 and n customers under r1 (c0000, c0001, …), each subscribed to
// plan std from the first day of the previous month, and returns their ids.
func Customers(ctx context.Context, base string, n int, now time.Time) ([]string, error) {
	post := func(path, body string) error {
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+AdminKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("%w: POST %s: %w", ErrService, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("%w: POST %s %s: HTTP %d: %s", ErrService, path, body, res.StatusCode, b)
		}
		return nil
	}
	for _, a := range []string{
		`{"id":"v1","kind":"vendor","name":"Vendor One","currency":"EUR","tax_jurisdiction":"DE"}`,
		`{"id":"d1","kind":"distributor","parent":"v1","name":"Dist","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"10"}`,
		`{"id":"r1","kind":"reseller","parent":"d1","name":"Reseller","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"20"}`,
	} {
		if err := post("/v1/accounts", a); err != nil {
			return nil, err
		}
	}
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format(time.RFC3339)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%04d", i)
		acct := fmt.Sprintf(`{"id":%q,"kind":"customer","parent":"r1","name":"Customer %d","currency":"EUR","tax_jurisdiction":"DE","billing_day":1,"payment_terms_days":30}`, ids[i], i)
		sub := fmt.Sprintf(`{"id":"sub-%s","account":%q,"plan_id":"std","start":%q}`, ids[i], ids[i], start)
		if err := post("/v1/accounts", acct); err != nil {
			return nil, err
		}
		if err := post("/v1/subscriptions", sub); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
