package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
)

// Source is the CloudEvents source of every record of a stream (the vendor v1's gateway).
const Source = "v1/gw"

// Kind is what a message of a stream is meant to be.
type Kind int

const (
	// Good is a record seen for the first time: mediation must accept it.
	Good Kind = iota
	// Duplicate repeats an earlier good record's (source, id), sometimes with another time or
	// quantity: mediation must drop it, whatever its content.
	Duplicate
	// Bad must be rejected, with Message.Reason.
	Bad
)

// Message is one record of a stream, as produced to the raw topic.
type Message struct {
	Kind  Kind
	Key   string // the ownership scope: the customer (no pricing groups in Catalog)
	Value []byte
	ID    string // the CloudEvents id ("" for undecodable bytes)
	// Reason is the reject reason mediation must give a Bad message.
	Reason string
}

// StreamConfig shapes a stream. Equal configs give byte-identical streams.
type StreamConfig struct {
	Seed    uint64
	Records int // messages in all: good + duplicate + bad
	// Customers is how many customers (c1..cN) the usage spreads over (default 6).
	Customers int
	// Window is where good event times fall (Calendar.Usage); TooOld and InFuture are the times
	// of records that must be rejected for their age (Calendar.TooOld, Calendar.InFuture).
	Window           ledger.Period
	TooOld, InFuture time.Time
	// DuplicateRate and BadRate are the shares of duplicate and bad messages (defaults 0.08, 0.04).
	DuplicateRate, BadRate float64
}

// UsageKey is what a ledger total is kept by.
type UsageKey struct{ Account, Meter string }

// Expected is a good record's entry in the ledger: its account, quantity and event time.
type Expected struct {
	Account  string
	Quantity decimal.Decimal
	Time     time.Time
}

// Stream is a deterministic usage stream and what the ledger must hold after it.
type Stream struct {
	Config    StreamConfig
	Customers []string
	Messages  []Message
	// Totals is the exact accepted quantity per (account, meter).
	Totals map[UsageKey]decimal.Decimal
	// Events is every good record by its id (the source is always Source).
	Events map[string]Expected
	// Unique, Duplicates and Bad count the messages by kind; they sum to len(Messages).
	Unique, Duplicates, Bad int
	// Reasons counts the bad messages by expected reason.
	Reasons map[string]int
}

// NewStream generates the stream of cfg.
func NewStream(cfg StreamConfig) *Stream {
	if cfg.Customers == 0 {
		cfg.Customers = 6
	}
	if cfg.DuplicateRate == 0 {
		cfg.DuplicateRate = 0.08
	}
	if cfg.BadRate == 0 {
		cfg.BadRate = 0.04
	}
	s := &Stream{Config: cfg, Totals: map[UsageKey]decimal.Decimal{}, Events: map[string]Expected{}, Reasons: map[string]int{}}
	for i := range cfg.Customers {
		s.Customers = append(s.Customers, fmt.Sprintf("c%d", i+1))
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed+1))
	var goods []int // indexes of good messages, for duplicates
	span := int64(cfg.Window.To.Sub(cfg.Window.From) / time.Second)
	for i := range cfg.Records {
		r := rng.Float64()
		switch {
		case r < cfg.BadRate:
			s.Messages = append(s.Messages, badMessage(rng, cfg, i))
			s.Bad++
			s.Reasons[s.Messages[len(s.Messages)-1].Reason]++
		case r < cfg.BadRate+cfg.DuplicateRate && len(goods) > 0:
			orig := goods[rng.IntN(len(goods))]
			if rng.IntN(10) == 0 {
				orig = goods[len(goods)-1] // most likely in the same batch
			}
			s.Messages = append(s.Messages, duplicateOf(rng, cfg, s.Messages[orig], span))
			s.Duplicates++
		default:
			cust := s.Customers[rng.IntN(len(s.Customers))]
			q := decimal.New(1+rng.Int64N(99_999), -3) // 0.001 .. 99.999, exact
			at := cfg.Window.From.Add(time.Duration(rng.Int64N(span)) * time.Second)
			id := fmt.Sprintf("ev-%d-%06d", cfg.Seed, i)
			s.Messages = append(s.Messages, Message{Kind: Good, Key: cust, ID: id, Value: event(id, Meter, cust, at.Format(time.RFC3339), q.String())})
			s.Events[id] = Expected{Account: cust, Quantity: q, Time: at}
			k := UsageKey{Account: cust, Meter: Meter}
			s.Totals[k] = s.Totals[k].Add(q)
			goods = append(goods, i)
			s.Unique++
		}
	}
	return s
}

// event renders one CloudEvents record; quantity is JSON text (a number, or a quoted string).
func event(id, meter, subject, at, quantity string) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":%q,"type":%q,"subject":%q,"time":%q,"data":{"quantity":%s}}`,
		id, Source, meter, subject, at, quantity)
}

// duplicateOf repeats a good record: half the time byte for byte (a producer's retry), else
// with another time and quantity (a replay that changed them), which must be dropped too.
func duplicateOf(rng *rand.Rand, cfg StreamConfig, orig Message, span int64) Message {
	m := Message{Kind: Duplicate, Key: orig.Key, ID: orig.ID, Value: orig.Value}
	if rng.IntN(2) == 0 {
		at := cfg.Window.From.Add(time.Duration(rng.Int64N(span)) * time.Second)
		m.Value = event(orig.ID, Meter, orig.Key, at.Format(time.RFC3339), decimal.New(1+rng.Int64N(99_999), -3).String())
	}
	return m
}

// badMessage is a record mediation must reject, one of several reasons.
func badMessage(rng *rand.Rand, cfg StreamConfig, i int) Message {
	id := fmt.Sprintf("bad-%d-%06d", cfg.Seed, i)
	at := cfg.Window.From.Format(time.RFC3339)
	m := Message{Kind: Bad, Key: "c1", ID: id}
	switch rng.IntN(8) {
	case 0:
		m.Value, m.ID, m.Reason = []byte("\x00\xff not json at all"), "", "decode"
	case 1:
		m.Value, m.Reason = fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":`, id), "decode"
	case 2:
		m.Value, m.Reason = event(id, "no_such_meter", "c1", at, "1"), "unknown_meter"
	case 3:
		m.Value, m.Reason = event(id, Meter, "c1", at, "-3.5"), "bad_quantity"
	case 4:
		m.Key = "ghost"
		m.Value, m.Reason = event(id, Meter, "ghost", at, "2"), "unknown_subject"
	case 5:
		m.Value, m.Reason = fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":%q,"type":%q,"subject":"c1","time":%q,"data":{"count":3}}`,
			id, Source, Meter, at), "missing_field"
	case 6:
		m.Value, m.Reason = event(id, Meter, "c1", cfg.TooOld.Format(time.RFC3339), "1"), "too_old"
	default:
		m.Value, m.Reason = event(id, Meter, "c1", cfg.InFuture.Format(time.RFC3339), "1"), "in_future"
	}
	return m
}
