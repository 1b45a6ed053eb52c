package rating_test

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// docBlock is a fenced code block of docs/catalog.md with its info string and starting line.
type docBlock struct {
	info string
	line int
	text string
}

func docBlocks(tb testing.TB, path string) []docBlock {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []docBlock
	var cur *docBlock
	for i, l := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```") && len(l) > 3:
			cur = &docBlock{info: strings.TrimPrefix(l, "```"), line: i + 1}
		case cur == nil && l == "```":
			cur = &docBlock{line: i + 1}
		case cur != nil && l == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += l + "\n"
		}
	}
	return out
}

// docCheck is a quote-check block: a quote input and the lines and total it must produce.
type docCheck struct {
	Plan      string                       `yaml:"plan"`
	At        string                       `yaml:"at"`
	Usage     map[string]string            `yaml:"usage"`
	Seats     string                       `yaml:"seats"`
	Coupon    string                       `yaml:"coupon"`
	PriceList string                       `yaml:"price_list"`
	Pools     map[string]map[string]string `yaml:"pools"`
	Lines     []string                     `yaml:"lines"`
	Shares    []string                     `yaml:"shares"`
	Total     string                       `yaml:"total"`
}

func (dc docCheck) input(tb testing.TB) rating.QuoteInput {
	tb.Helper()
	in := rating.QuoteInput{PlanID: dc.Plan, Coupon: dc.Coupon, PriceList: dc.PriceList, Usage: map[string]decimal.Decimal{}}
	if dc.At != "" {
		at, err := time.Parse(time.DateOnly, dc.At)
		if err != nil {
			tb.Fatal(err)
		}
		in.At = at
	}
	for m, v := range dc.Usage {
		in.Usage[m] = catD(v)
	}
	if dc.Seats != "" {
		in.Seats = catD(dc.Seats)
	}
	for m, members := range dc.Pools {
		if in.Pools == nil {
			in.Pools = map[string][]rating.PoolMember{}
		}
		for id, v := range members {
			in.Pools[m] = append(in.Pools[m], rating.PoolMember{ID: id, Quantity: catD(v)})
		}
	}
	return in
}

// TestDocWorkedExamples runs every worked example of docs/catalog.md: each catalog-example block
// must load, and each quote-check after it must produce exactly the lines and total it states.
func TestDocWorkedExamples(t *testing.T) {
	var cat *rating.Catalog
	kinds := map[rating.ModelKind]bool{}
	var checks, pools, coupons int
	currencies := map[string]bool{}
	for _, b := range docBlocks(t, "../docs/catalog.md") {
		switch b.info {
		case "yaml catalog-example":
			var err error
			if cat, err = rating.Load("docs/catalog.md", []byte(b.text)); err != nil {
				t.Fatalf("docs/catalog.md:%d: example does not load: %v", b.line, err)
			}
		case "yaml quote-check":
			checks++
			var dc docCheck
			dec := yaml.NewDecoder(bytes.NewReader([]byte(b.text)))
			dec.KnownFields(true)
			if err := dec.Decode(&dc); err != nil {
				t.Fatalf("docs/catalog.md:%d: %v", b.line, err)
			}
			if cat == nil {
				t.Fatalf("docs/catalog.md:%d: quote-check before any catalog-example", b.line)
			}
			q, err := cat.Quote(dc.input(t))
			if err != nil {
				t.Errorf("docs/catalog.md:%d: Quote: %v", b.line, err)
				continue
			}
			currencies[q.Currency.Code] = true
			var got, shares []string
			for _, l := range q.Lines {
				id := l.ChargeID
				if l.Ref != "" {
					id = l.Ref
				}
				got = append(got, id+" "+l.Amount.StringFixed(q.Currency.MinorUnits))
				if l.Model != "" {
					kinds[l.Model] = true
				}
				for _, s := range l.Shares {
					shares = append(shares, s.ID+" "+s.Amount.StringFixed(q.Currency.MinorUnits))
				}
			}
			if strings.Join(got, "|") != strings.Join(dc.Lines, "|") {
				t.Errorf("docs/catalog.md:%d: lines\n got %q\nwant %q", b.line, got, dc.Lines)
			}
			if strings.Join(shares, "|") != strings.Join(dc.Shares, "|") {
				t.Errorf("docs/catalog.md:%d: shares\n got %q\nwant %q", b.line, shares, dc.Shares)
			}
			if len(shares) > 0 {
				pools++
			}
			if dc.Coupon != "" {
				coupons++
			}
			if got := q.Total.StringFixed(q.Currency.MinorUnits); got != dc.Total {
				t.Errorf("docs/catalog.md:%d: total %s, want %s", b.line, got, dc.Total)
			}
		}
	}
	for _, k := range []rating.ModelKind{rating.ModelGraduated, rating.ModelVolume, rating.ModelPackage,
		rating.ModelStairstep, rating.ModelPercentage, rating.ModelFlat, rating.ModelPerUnit} {
		if !kinds[k] {
			t.Errorf("no worked example prices with model %s", k)
		}
	}
	if checks < 10 || pools == 0 || coupons == 0 || !currencies["JPY"] {
		t.Errorf("checks %d, pool checks %d, coupon checks %d, currencies %v: want a pool, a coupon and JPY", checks, pools, coupons, currencies)
	}
}

var docRoundRow = regexp.MustCompile("^\\| `(\\w+)`[^|]*\\|[^|]*\\| (-?[0-9.]+) \\| (−?[0-9.]+) \\|$")

// TestDocRoundingTable checks the rounding-mode table of docs/catalog.md against Currency.Round.
func TestDocRoundingTable(t *testing.T) {
	data, err := os.ReadFile("../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	eur, err := rating.LookupCurrency("EUR")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, l := range strings.Split(string(data), "\n") {
		m := docRoundRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		rows++
		mode, err := rating.ParseRoundingMode(m[1])
		if err != nil {
			t.Fatalf("table row %q: %v", l, err)
		}
		for i, in := range []string{"0.125", "-0.125"} {
			want := strings.ReplaceAll(m[2+i], "−", "-")
			if got := eur.Round(catD(in), mode).StringFixed(2); got != want {
				t.Errorf("%s: Round(%s) = %s, doc says %s", mode, in, got, want)
			}
		}
	}
	if rows != 4 {
		t.Errorf("found %d rounding rows in the doc, want 4", rows)
	}
}

// TestDocNamesEveryField: every field the loader accepts appears in docs/catalog.md as `name`.
func TestDocNamesEveryField(t *testing.T) {
	data, err := os.ReadFile("../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, group := range rating.CatalogFieldNames() {
		for _, name := range group {
			if !strings.Contains(string(data), "`"+name+"`") {
				t.Errorf("docs/catalog.md does not document field %q", name)
			}
		}
	}
}
