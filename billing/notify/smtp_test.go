package notify_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/notify"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// smtpServer is a minimal real SMTP server on a loopback port: EHLO/HELO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT. RCPT answers with a script of replies ("" or an exhausted script: 250).
type smtpServer struct {
	ln       net.Listener
	mu       sync.Mutex
	rcpt     []string
	sessions int
	msgs     []smtpMsg
	wg       sync.WaitGroup
}

type smtpMsg struct {
	from, to string
	data     []byte
}

func startSMTP(t *testing.T, rcpt ...string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &smtpServer{ln: ln, rcpt: rcpt}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.session(conn) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) session(conn net.Conn) {
	defer conn.Close()
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	tp := textproto.NewConn(conn)
	reply := func(line string) bool { return tp.PrintfLine("%s", line) == nil }
	reply("220 127.0.0.1 ESMTP test")
	var from, to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-127.0.0.1 hello " + arg)
			reply("250 8BITMIME")
		case "HELO", "NOOP", "RSET":
			reply("250 OK")
		case "MAIL":
			from = addrOf(arg)
			reply("250 OK")
		case "RCPT":
			s.mu.Lock()
			r := "250 OK"
			if len(s.rcpt) > 0 {
				if s.rcpt[0] != "" {
					r = s.rcpt[0]
				}
				s.rcpt = s.rcpt[1:]
			}
			s.mu.Unlock()
			if strings.HasPrefix(r, "250") {
				to = addrOf(arg)
			}
			reply(r)
		case "DATA":
			if to == "" {
				reply("503 no recipient")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, smtpMsg{from: from, to: to, data: data})
			s.mu.Unlock()
			reply("250 OK queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func addrOf(arg string) string {
	i, j := strings.Index(arg, "<"), strings.Index(arg, ">")
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

func TestEmailDelivery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rcpt     []string
		email    string
		status   string // "" = not sent at all
		attempts int
	}{
		{"delivered", nil, "k1@example.com", billing.EventDelivered, 1},
		{"temporary refusal then accepted", []string{"451 4.3.0 try again later"}, "k1@example.com", billing.EventDelivered, 2},
		{"recipient refused", []string{"550 5.1.1 no such user"}, "nobody@example.com", billing.EventDeadLetter, 1},
		{"no address", nil, "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, tc.rcpt...)
			m, err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.ln.Addr().String(), From: "Billing <billing@cascade.example>"})
			if err != nil {
				t.Fatal(err)
			}
			store := ledgertest.NewMemStore()
			e := entry("K1", tc.email, "suspend+21")
			seed(t, store, e)
			sl := &sleeps{}
			for pass := 1; pass <= 2; pass++ { // the second pass must send nothing
				if _, err := newDispatcher(t, store, sl, m).DispatchOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			o, ok := outcomes(t, store, "email")[e.ID]
			if ok != (tc.status != "") || o.Status != tc.status || o.Attempts != tc.attempts {
				t.Fatalf("outcome %+v (recorded %v), want %q after %d attempts", o, ok, tc.status, tc.attempts)
			}
			srv.mu.Lock()
			msgs, sessions := srv.msgs, srv.sessions
			srv.mu.Unlock()
			if sessions != tc.attempts {
				t.Errorf("%d SMTP sessions, want %d", sessions, tc.attempts)
			}
			if tc.status != billing.EventDelivered {
				if len(msgs) != 0 {
					t.Errorf("%d messages accepted, want none", len(msgs))
				}
				return
			}
			if len(msgs) != 1 || msgs[0].from != "billing@cascade.example" || msgs[0].to != tc.email {
				t.Fatalf("messages %+v, want one from billing@cascade.example to %s", msgs, tc.email)
			}
			checkMessage(t, msgs[0].data, e)
		})
	}
}

// checkMessage parses the received message as a mail client would.
func checkMessage(t *testing.T, data []byte, e *billing.OutboxEntry) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != e.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, e.Subject)
	}
	if got := msg.Header.Get("Message-Id"); got != "<"+e.ID+"@cascade.example>" {
		t.Errorf("Message-ID %q, want the notification id", got)
	}
	if got := msg.Header.Get(notify.HeaderEventID); got != e.ID {
		t.Errorf("%s %q, want %q", notify.HeaderEventID, got, e.ID)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != e.Body {
		t.Errorf("body %q, want %q", got, e.Body)
	}
}

// TestDispatchBothChannels: one notification goes out once by webhook and once by e-mail,
// each outcome recorded separately; the next pass sends nothing.
func TestDispatchBothChannels(t *testing.T) {
	srv := startSMTP(t)
	hook := &hookServer{}
	ts := httptest.NewServer(hook)
	defer ts.Close()
	m, err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.ln.Addr().String(), From: "billing@cascade.example"})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: ts.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	store := ledgertest.NewMemStore()
	with, without := entry("K1", "k1@example.com", "s"), entry("K2", "", "s")
	seed(t, store, with, without)
	sl := &sleeps{}
	for pass, want := range []int{3, 0} {
		rep, err := newDispatcher(t, store, sl, wh, m).DispatchOnce(context.Background())
		if err != nil || rep.Delivered != want {
			t.Fatalf("pass %d: %+v, %v; want %d deliveries", pass+1, rep, err, want)
		}
	}
	if w, e := outcomes(t, store, "webhook"), outcomes(t, store, "email"); len(w) != 2 || len(e) != 1 || e[with.ID].Status != billing.EventDelivered {
		t.Errorf("webhook outcomes %v, email outcomes %v; want 2 and 1 (K2 has no address)", w, e)
	}
	hits, _ := hook.seen()
	srv.mu.Lock()
	mails := len(srv.msgs)
	srv.mu.Unlock()
	if hits != 2 || mails != 1 {
		t.Errorf("webhook requests %d, e-mails %d; want 2 and 1", hits, mails)
	}
}
