package main

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/rating"
)

// runCatalog is `cascade catalog check FILE`: load a catalog and list every problem, one per
// line as file:line:column: field path: message, or summarise what it holds.
func runCatalog(_ context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "check" {
		return usagef("usage: cascade catalog check FILE")
	}
	path := args[1]
	cat, err := rating.LoadFile(path)
	if err != nil {
		problems := rating.LoadErrors(err)
		if len(problems) == 0 { // not a content problem: the file could not be read
			return &usageError{err}
		}
		for _, p := range problems {
			fmt.Fprintln(e.stdout, p)
		}
		return usagef("%s: %d problem(s)", path, len(problems))
	}
	versions := 0
	ids := map[string]bool{}
	for _, p := range cat.Plans {
		versions++
		ids[p.ID] = true
	}
	fmt.Fprintf(e.stdout, "%s: ok — %d vendors, %d products, %d meters, %d plans (%d versions), %d price lists, %d coupons\n",
		path, len(cat.Vendors), len(cat.Products), len(cat.Meters), len(ids), versions, len(cat.PriceLists), len(cat.Coupons))
	return nil
}
