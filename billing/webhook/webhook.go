// Package webhook takes payments from a payment provider: an http.Handler for the provider's
// signed POST notifications, which records each payment through billing (docs/billing.md,
// "Payments"). The provider's event id is the payment's idempotency key, so a notification
// delivered twice records one payment and answers both deliveries alike.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">". Several v1
// values may be sent (one per secret while a secret is rotated); one matching is enough.
const SignatureHeader = "X-Cascade-Signature"

// PaymentRecorder records a payment idempotently; *billing.Service implements it.
type PaymentRecorder interface {
	RecordPayment(ctx context.Context, in billing.PaymentInput, actor string) (*billing.Payment, error)
}

// Config configures the handler.
type Config struct {
	Secret  []byte // the shared HMAC secret; required
	Service PaymentRecorder
	Now     func() time.Time
	Logger  *slog.Logger
	// Tolerance is how far the signature's timestamp may be from Now, either way (default 5
	// minutes): an old signed request replayed by someone who captured it is refused.
	Tolerance time.Duration
	// Actor names the webhook in the audit log (default "webhook").
	Actor string
	// Method is the payment method recorded when the body names none (default "webhook").
	Method string
	// MaxBody caps the body in bytes (default 1 MiB).
	MaxBody int64
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case len(c.Secret) == 0:
		return fmt.Errorf("webhook config: secret is required: %w", billing.ErrInvalid)
	case c.Service == nil:
		return fmt.Errorf("webhook config: service is required: %w", billing.ErrInvalid)
	case c.Tolerance < 0:
		return fmt.Errorf("webhook config: tolerance %s is negative: %w", c.Tolerance, billing.ErrInvalid)
	case c.MaxBody < 0:
		return fmt.Errorf("webhook config: max_body %d is negative: %w", c.MaxBody, billing.ErrInvalid)
	}
	return nil
}

// Handler is the provider webhook. Safe for concurrent use (billing serialises the payments).
type Handler struct {
	cfg Config
}

// New returns the webhook handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	if cfg.Actor == "" {
		cfg.Actor = "webhook"
	}
	if cfg.Method == "" {
		cfg.Method = "webhook"
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	return &Handler{cfg: cfg}, nil
}

// errorBody is every refusal's JSON body.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// ServeHTTP checks the signature, decodes the payment and records it. Answers: 200 with the
// payment (also for a replay of the same event id); 400 a body that does not decode (naming the
// field) or an invalid payment; 401 a missing, bad or stale signature; 405 not a POST; 409 the
// id was used for another payment; 413 too large; 422 an unknown account or invoice, or a
// currency mismatch (retrying will not help); 500 anything else (the provider retries).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, http.StatusMethodNotAllowed, errorBody{Error: "only POST is accepted"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reply(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body exceeds %d bytes", h.cfg.MaxBody)})
			return
		}
		h.reply(w, http.StatusBadRequest, errorBody{Error: "reading the body: " + err.Error()})
		return
	}
	if err := h.verify(r.Header.Get(SignatureHeader), body); err != nil {
		h.cfg.Logger.Warn("payment webhook refused", "reason", err.Error(), "remote", r.RemoteAddr)
		h.reply(w, http.StatusUnauthorized, errorBody{Error: err.Error()})
		return
	}
	in, err := DecodePayment(body)
	if err != nil {
		var fe *FieldError
		errors.As(err, &fe)
		h.reply(w, http.StatusBadRequest, errorBody{Error: err.Error(), Field: fe.Field})
		return
	}
	if in.Method == "" {
		in.Method = h.cfg.Method
	}
	pay, err := h.cfg.Service.RecordPayment(r.Context(), in, h.cfg.Actor)
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			h.cfg.Logger.Error("payment webhook failed", "payment", in.ID, "err", err)
			h.reply(w, status, errorBody{Error: "the payment could not be recorded now; retry"})
			return
		}
		h.reply(w, status, errorBody{Error: err.Error()})
		return
	}
	h.reply(w, http.StatusOK, pay)
}

// statusOf maps billing's error kinds to HTTP answers.
func statusOf(err error) int {
	switch {
	case errors.Is(err, billing.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, billing.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, billing.ErrNotFound), errors.Is(err, billing.ErrCurrencyMismatch):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

func (h *Handler) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.cfg.Logger.Debug("payment webhook: writing the answer", "err", err)
	}
}

// Sign returns the signature header value of body at t: what a provider (or a test) sends.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verify checks the signature header against the body and the clock. The comparison is
// constant-time; the timestamp is checked only once the signature holds, so an attacker
// learns nothing about the clock.
func (h *Handler) verify(header string, body []byte) error {
	if header == "" {
		return errors.New("missing " + SignatureHeader + " header")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("malformed " + SignatureHeader + " header: want t=<unix>,v1=<hex>")
	}
	want := mac(h.cfg.Secret, ts, body)
	match := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			match = true
		}
	}
	if !match {
		return errors.New("signature does not match")
	}
	at := time.Unix(unix, 0)
	if d := h.cfg.Now().Sub(at); d > h.cfg.Tolerance || d < -h.cfg.Tolerance {
		return fmt.Errorf("signature timestamp %s is outside the %s tolerance", at.UTC().Format(time.RFC3339), h.cfg.Tolerance)
	}
	return nil
}
