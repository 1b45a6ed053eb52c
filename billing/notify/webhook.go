package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// Webhook headers.
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
	HeaderSignature = "X-Cascade-Signature"
	// HeaderEventID carries the notification id: the receiver's deduplication key.
	HeaderEventID = "X-Cascade-Event-Id"
)

// WebhookConfig configures the webhook sender.
type WebhookConfig struct {
	// URL receives every notification as a POST with a JSON body (Payload).
	URL string
	// Secret signs each request (shared with the receiver out of band).
	Secret []byte
	// Client defaults to one with a 10 s timeout.
	Client *http.Client
	Now    func() time.Time
}

// Webhook sends notifications as HMAC-signed JSON POSTs.
type Webhook struct{ cfg WebhookConfig }

// NewWebhook returns the webhook sender.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook config: url: %q: want an http(s) URL: %w", cfg.URL, ErrInvalid)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("webhook config: secret: %d bytes, want at least 16: %w", len(cfg.Secret), ErrInvalid)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Webhook{cfg: cfg}, nil
}

// Channel implements Sender.
func (w *Webhook) Channel() string { return "webhook" }

// Wants implements Sender: every notification goes to the webhook.
func (w *Webhook) Wants(*billing.OutboxEntry) bool { return true }

// Payload is the webhook's JSON body. It is the same bytes on every attempt (only the
// signature's timestamp changes), so a receiver may also hash it.
type Payload struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Object   string            `json:"object"`
	Step     string            `json:"step,omitempty"`
	Account  string            `json:"account"`
	QueuedAt time.Time         `json:"queued_at"`
	Subject  string            `json:"subject"`
	Body     string            `json:"body"`
	Data     map[string]string `json:"data,omitempty"`
}

// PayloadOf builds the JSON body of an entry.
func PayloadOf(e *billing.OutboxEntry) ([]byte, error) {
	b, err := json.Marshal(Payload{ID: e.ID, Kind: string(e.Kind), Object: e.Object, Step: e.Step, Account: e.Account,
		QueuedAt: e.QueuedAt.UTC(), Subject: e.Subject, Body: e.Body, Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("webhook payload of %s: %w", e.ID, err)
	}
	return b, nil
}

// Send implements Sender: one POST. 2xx is delivered; 408, 429, 5xx and network errors are
// retried; any other answer is permanent (the receiver refuses it).
func (w *Webhook) Send(ctx context.Context, e *billing.OutboxEntry) error {
	body, err := PayloadOf(e)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %v: %w", e.ID, err, ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEventID, e.ID)
	req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, w.cfg.Now().Unix(), body))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", e.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook %s: %s answered %s", e.ID, w.cfg.URL, resp.Status)
	default:
		return fmt.Errorf("webhook %s: %s answered %s: %w", e.ID, w.cfg.URL, resp.Status, ErrPermanent)
	}
}

// Sign returns the signature header value of body sent at unix time t.
func Sign(secret []byte, t int64, body []byte) string {
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac(secret, t, body))
}

func mac(secret []byte, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header as a receiver should: a v1 signature matching the body, and
// a timestamp within tolerance of now (a captured request cannot be replayed later).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t int64 = -1
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("signature: t: %q: %w", v, ErrInvalid)
			}
			t = n
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return fmt.Errorf("signature: v1: not hex: %w", ErrInvalid)
			}
			sigs = append(sigs, b)
		}
	}
	if t < 0 || len(sigs) == 0 {
		return fmt.Errorf("signature: %q: want t=...,v1=...: %w", header, ErrInvalid)
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature: timestamp %d is %s from now, beyond %s: %w", t, d, tolerance, ErrInvalid)
	}
	want := mac(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("signature: no v1 signature matches the body: %w", ErrInvalid)
}
