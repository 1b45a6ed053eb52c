package main

import (
	"os"
	"strings"
	"testing"
)

// TestInvoicePreviewDocExampleIsTrue runs docs/cli.md's preview example on the ledger it
// describes (invoiceLedger: c1 on api-pro from 1 October 2026) and compares the output.
func TestInvoicePreviewDocExampleIsTrue(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "$ cascade invoice preview --data /tmp/d --account c1 --at 2026-10-15\n"
	text := string(doc)
	start := strings.Index(text, cmd)
	if start < 0 {
		t.Fatal("docs/cli.md: the invoice preview example is missing")
	}
	start += len(cmd)
	end := strings.Index(text[start:], "```")
	if end < 0 {
		t.Fatal("docs/cli.md: the invoice preview example is not closed")
	}
	want := text[start : start+end]
	store, _ := invoiceLedger(t)
	code, out, errOut := newCLI(t, store).run("invoice", "preview", "--account", "c1", "--at", "2026-10-15")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != want {
		t.Errorf("docs/cli.md example differs from the real output:\n--- doc\n%s--- real\n%s", want, out)
	}
}
