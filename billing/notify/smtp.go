package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// SMTPConfig configures the e-mail sender.
type SMTPConfig struct {
	// Addr is the SMTP server's host:port (a relay: port 25 or 587).
	Addr string
	// From is the sender address ("Billing <billing@example.com>").
	From string
	// HelloName is sent in EHLO (default "localhost").
	HelloName string
	// TLS, when set, is used for STARTTLS if the server offers it; RequireTLS refuses a server
	// that does not (credentials and invoices never travel in clear over a network).
	TLS        *tls.Config
	RequireTLS bool
	// Auth authenticates after STARTTLS (smtp.PlainAuth); nil for an open relay.
	Auth smtp.Auth
	// Timeout bounds one whole delivery (default 30 s).
	Timeout time.Duration
	Now     func() time.Time
}

// SMTP sends notifications as plain-text e-mail through net/smtp.
type SMTP struct {
	cfg    SMTPConfig
	from   *mail.Address
	domain string
}

// NewSMTP returns the e-mail sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("smtp config: addr: %q: %v: %w", cfg.Addr, err, ErrInvalid)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp config: from: %q: %v: %w", cfg.From, err, ErrInvalid)
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTP{cfg: cfg, from: from, domain: domain}, nil
}

// Channel implements Sender.
func (m *SMTP) Channel() string { return "email" }

// Wants implements Sender: only notifications with a recipient address.
func (m *SMTP) Wants(e *billing.OutboxEntry) bool { return e.Email != "" }

// Send implements Sender: one SMTP transaction. A 5xx reply (a refused recipient or message)
// is permanent; 4xx replies and network errors are retried.
func (m *SMTP) Send(ctx context.Context, e *billing.OutboxEntry) error {
	to, err := mail.ParseAddress(e.Email)
	if err != nil {
		return fmt.Errorf("email %s: recipient %q: %v: %w", e.ID, e.Email, err, ErrPermanent)
	}
	msg, err := m.Message(e, to)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("email %s: dial %s: %w", e.ID, m.cfg.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(m.cfg.Addr)
	if err := m.transact(conn, host, to.Address, msg); err != nil {
		return fmt.Errorf("email %s to %s via %s: %w", e.ID, to.Address, m.cfg.Addr, classify(err))
	}
	return nil
}

func (m *SMTP) transact(conn net.Conn, host, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && m.cfg.TLS != nil {
		if err := c.StartTLS(m.cfg.TLS); err != nil {
			return err
		}
	} else if m.cfg.RequireTLS {
		return fmt.Errorf("server offers no STARTTLS and TLS is required: %w", ErrPermanent)
	}
	if m.cfg.Auth != nil {
		if err := c.Auth(m.cfg.Auth); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// classify marks 5xx SMTP replies permanent.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	return err
}

// Message builds the RFC 5322 message of an entry: plain text, UTF-8, quoted-printable, with
// the notification id as Message-ID and X-Cascade-Event-Id (the receiver's deduplication key).
func (m *SMTP) Message(e *billing.OutboxEntry, to *mail.Address) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", m.from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", e.Subject))
	h("Date", m.cfg.Now().UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+e.ID+"@"+m.domain+">")
	h(HeaderEventID, e.ID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(e.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("email %s: encode body: %w", e.ID, err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("email %s: encode body: %w", e.ID, err)
	}
	return b.Bytes(), nil
}
