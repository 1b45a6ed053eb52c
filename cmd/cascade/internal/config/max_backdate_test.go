package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
)

// TestMaxBackdate covers billing.max_backdate: unset stays 0 (billing applies its own 366-day
// default), the file and the variable set it in days or a Go duration, and a negative bound is
// refused naming the key.
func TestMaxBackdate(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		env     map[string]string
		want    time.Duration
		problem string // "" when Load must succeed
	}{
		{name: "unset is billing's default", body: base, want: 0},
		{name: "file, in days", body: base + "billing: {max_backdate: 30d}\n", want: 30 * 24 * time.Hour},
		{name: "variable overrides the file", body: base + "billing: {max_backdate: 30d}\n",
			env: map[string]string{"CASCADE_BILLING_MAX_BACKDATE": "8784h"}, want: 8784 * time.Hour},
		{name: "negative", body: base + "billing: {max_backdate: -1h}\n", problem: "billing.max_backdate: must not be negative"},
		{name: "not a duration", body: base, env: map[string]string{"CASCADE_BILLING_MAX_BACKDATE": "a year"},
			problem: "CASCADE_BILLING_MAX_BACKDATE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(write(t, t.TempDir(), "c.yaml", c.body), func(k string) string { return c.env[k] })
			if c.problem != "" {
				if err == nil || !strings.Contains(err.Error(), c.problem) {
					t.Fatalf("Load: %v, want a problem naming %q", err, c.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Billing.MaxBackdate.D(); got != c.want {
				t.Errorf("max_backdate %s, want %s", got, c.want)
			}
		})
	}
}
