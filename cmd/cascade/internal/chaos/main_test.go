package chaos_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
)

// summary collects every suite's kills, outages and verified scenarios; TestMain prints it.
var summary = chaos.NewSummary()

// TestMain runs the suites, then prints the summary line `make chaos` greps for and fails the
// package when anything was lost or doubled, the identity broke or invoices differ.
func TestMain(m *testing.M) {
	code := m.Run()
	chaos.RemoveBinary()
	for _, n := range summary.Notes() {
		fmt.Println("chaos: FAIL", n)
	}
	fmt.Println(summary.Line())
	if code == 0 && summary.Failed() {
		code = 1
	}
	os.Exit(code)
}

// needsReal skips a test that starts real components under -short, except under CI=true,
// where a real-component test never skips.
func needsReal(t *testing.T) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("-short: starts ClickHouse and the service")
	}
}
