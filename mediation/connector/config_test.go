package connector_test

import (
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/mediation/connector"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*connector.Config)
		mention []string // every field path the error must name; none means valid
	}{
		{name: "valid", edit: func(*connector.Config) {}},
		{name: "missing parts", edit: func(c *connector.Config) {
			c.Catalog, c.Directory, c.Publisher, c.DeadLetters, c.APIKeys = nil, nil, nil, nil, nil
		}, mention: []string{"connector.catalog", "connector.directory", "connector.publisher", "connector.dead_letters", "connector.api_keys"}},
		{name: "plain key instead of hash", edit: func(c *connector.Config) { c.APIKeys = map[string]string{"secret": "acme"} },
			mention: []string{"connector.api_keys[secret", "64 hex"}},
		{name: "unknown vendor", edit: func(c *connector.Config) { c.APIKeys = map[string]string{hashKey("k"): "umbrella"} },
			mention: []string{`vendor "umbrella"`}},
		{name: "negative limits", edit: func(c *connector.Config) { c.MaxBodyBytes, c.MaxRecords, c.RetryAfter = -1, -1, -1 },
			mention: []string{"connector.max_body_bytes", "connector.max_records", "connector.retry_after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil) // for a valid base config's parts
			cfg := connector.Config{Catalog: loadCatalog(t), Directory: directory(), Publisher: f.pub, DeadLetters: f.dlq,
				APIKeys: map[string]string{hashKey(keyAcme): "acme"}}
			tt.edit(&cfg)
			_, err := connector.New(cfg)
			if len(tt.mention) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %q", err, m)
				}
			}
		})
	}
}

// TestNDJSONLineNumbersCountBlankLines: the line a result names is the line in the body as sent.
func TestNDJSONLineNumbersCountBlankLines(t *testing.T) {
	f := newFixture(t, nil)
	body := "\n\r\n" + event("l3", "acme", "api_calls", "cust-1", "1") + "\n\n{broken\n"
	resp := decodeResponse(t, f.post(keyAcme, "application/x-ndjson", body))
	if len(resp.Results) != 2 || resp.Results[0].Line != 3 || resp.Results[1].Line != 5 ||
		!strings.HasPrefix(resp.Results[1].Detail, "line 5: ") {
		t.Fatalf("results %+v, want lines 3 and 5", resp.Results)
	}
}
