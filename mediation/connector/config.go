package connector

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
)

// Defaults of the request limits.
const (
	// DefaultMaxBodyBytes bounds a request body: 5 MiB holds ~15,000 typical records and keeps
	// one request's memory small next to the producer's batches.
	DefaultMaxBodyBytes = 5 << 20
	// DefaultMaxRecords bounds the records of one request, so one answer and one produce call
	// stay bounded whatever the records' size.
	DefaultMaxRecords = 10000
	// DefaultRetryAfter is what a 503 tells the client to wait before retrying.
	DefaultRetryAfter = 2 * time.Second
)

// Publisher produces accepted records to the raw topic keyed by their scope. Publish returns nil
// only when every record is durable (acks=all), so the connector may answer "accepted"; it must
// be safe for concurrent use and must not keep the records' Value after it returns.
// mediation/kafka's Producer implements it.
type Publisher interface {
	Publish(ctx context.Context, records []mediation.Outgoing) error
}

// Config configures a Handler.
type Config struct {
	// Catalog gives the meters (validation) and which vendor owns each meter.
	Catalog *rating.Catalog
	// Directory resolves a record's subject to its account and pricing group (the scope).
	Directory mediation.Directory
	// Publisher receives the accepted records; DeadLetters the rejected ones, with their bytes.
	Publisher   Publisher
	DeadLetters mediation.DeadLetters
	// APIKeys maps the SHA-256 of an API key, as 64 lowercase or uppercase hex digits, to the
	// vendor id it authenticates. Only hashes are configured, so a leaked config leaks no key.
	APIKeys map[string]string

	MaxBodyBytes int64         // default DefaultMaxBodyBytes
	MaxRecords   int           // default DefaultMaxRecords
	RetryAfter   time.Duration // default DefaultRetryAfter; rounded up to whole seconds
	// LateWindow and ClockSkew are the validator's time bounds (zero: mediation's defaults).
	LateWindow time.Duration
	ClockSkew  time.Duration

	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now; read once per request
}

// Validate reports every invalid field, named by its path, and fills in defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Catalog == nil {
		errs = append(errs, errors.New("connector.catalog: required"))
	}
	if c.Directory == nil {
		errs = append(errs, errors.New("connector.directory: required"))
	}
	if c.Publisher == nil {
		errs = append(errs, errors.New("connector.publisher: required"))
	}
	if c.DeadLetters == nil {
		errs = append(errs, errors.New("connector.dead_letters: required (rejected records must not be lost)"))
	}
	if len(c.APIKeys) == 0 {
		errs = append(errs, errors.New("connector.api_keys: at least one key is required"))
	}
	for h, vendor := range c.APIKeys {
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			errs = append(errs, fmt.Errorf("connector.api_keys[%.8s…]: want the SHA-256 of the key as 64 hex digits", h))
		}
		if c.Catalog != nil {
			if _, ok := c.Catalog.Vendor(vendor); !ok {
				errs = append(errs, fmt.Errorf("connector.api_keys[%.8s…]: vendor %q is not in the catalog", h, vendor))
			}
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("connector.max_body_bytes: %d is negative", c.MaxBodyBytes))
	}
	if c.MaxRecords < 0 {
		errs = append(errs, fmt.Errorf("connector.max_records: %d is negative", c.MaxRecords))
	}
	if c.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("connector.retry_after: %s is negative", c.RetryAfter))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}
