package chdb_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReviewS3SQLNoHostFileRead: no statement `cascade sql` accepts as read-only may read a
// file of the ledger's host. DESCRIBE of a file() table function infers the schema by reading
// the file, and a *WithNames format turns its first line into a column name: the answer must
// never hold the file's content.
func TestReviewS3SQLNoHostFileRead(t *testing.T) {
	const secret = "s3cr3t_api_key_line"
	path := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(path, []byte(secret+"\n1\n2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openFresh(t)
	defer s.Close()
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM file('" + path + "', 'CSVWithNames') UNION ALL SELECT 1",
		"WITH (SELECT count() FROM file('" + path + "', 'CSVWithNames')) AS h SELECT h",
		"DESCRIBE TABLE file('" + path + "', 'CSVWithNames')",
		"DESC file('" + path + "', 'TSVWithNames')",
	} {
		cols, rows, err := s.Query(ctx, q)
		all := strings.Join(cols, ",")
		for _, r := range rows {
			all += "|" + strings.Join(r, ",")
		}
		if strings.Contains(all, secret) {
			t.Errorf("%q read the host's file %s: answer %q (err %v)", q, path, all, err)
		}
	}
}

// TestReviewS3SQLNoOutboundRequest: no accepted statement may make the ledger's engine fetch a
// URL (server-side request forgery towards internal services, or exfiltration).
func TestReviewS3SQLNoOutboundRequest(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("a,b\n1,2\n"))
	}))
	defer srv.Close()
	s := openFresh(t)
	defer s.Close()
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM url('" + srv.URL + "/a', 'CSVWithNames')",
		"DESCRIBE TABLE url('" + srv.URL + "/b', 'CSVWithNames')",
	} {
		before := hits.Load()
		_, rows, err := s.Query(ctx, q)
		if hits.Load() != before {
			t.Errorf("%q made the engine fetch %s (rows %q, err %v)", q, srv.URL, rows, err)
		}
	}
}
