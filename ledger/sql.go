package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SQL runs one read-only statement an analyst typed against the ledger's tables (`cascade sql`).
// Both ClickHouse backends implement it; the in-memory fake does not, having no SQL. Every
// backend refuses a statement that CheckReadOnly refuses and, in addition, makes the engine
// itself enforce read-only mode (setting readonly=1), so a statement the check misjudges still
// cannot write. Unqualified table names resolve to the ledger's own database.
type SQL interface {
	// Query returns the answer's column names and its rows as text, exactly as ClickHouse
	// prints them: decimals exact, never through a float; NULL as "NULL". A refused statement
	// is ErrNotReadOnly; one the engine rejects (syntax, unknown table) is ErrQuery.
	Query(ctx context.Context, sql string) (cols []string, rows [][]string, err error)
}

// Error kinds of the SQL interface, checked with errors.Is.
var (
	// ErrNotReadOnly: the statement is not one of the read-only kinds (SELECT, WITH, SHOW,
	// DESCRIBE, EXPLAIN, EXISTS), is several statements, writes a file (INTO OUTFILE), or
	// cannot be checked (an unterminated literal or comment). Nothing was run.
	ErrNotReadOnly = errors.New("not a read-only statement")
	// ErrQuery: the engine rejected or failed the statement (a syntax error, an unknown table
	// or column, a type error). Retrying the same text will not help.
	ErrQuery = errors.New("query failed")
)

// readOnlyKinds are the statements SQL accepts, by their first keyword.
var readOnlyKinds = map[string]bool{
	"SELECT": true, "WITH": true, "SHOW": true, "DESCRIBE": true, "DESC": true, "EXPLAIN": true, "EXISTS": true,
}

// ReadOnlyKinds names the accepted statement kinds, for messages and help texts.
const ReadOnlyKinds = "SELECT, WITH, SHOW, DESCRIBE, EXPLAIN or EXISTS"

// CheckReadOnly checks that sql is exactly one read-only statement and returns it without
// what surrounds it: leading and trailing comments, white space and the final semicolons. The
// scanner knows ClickHouse's lexical forms (quoted strings and identifiers with backslash and
// doubled-quote escapes, heredocs $tag$…$tag$, comments --, # and nested /* */), so a keyword
// or a semicolon inside a literal or a comment is not mistaken for one outside it. It errs on
// the side of refusing: text it cannot scan is refused.
func CheckReadOnly(sql string) (string, error) {
	toks, err := scanSQL(sql)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrNotReadOnly)
	}
	for len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return "", fmt.Errorf("the statement is empty: %w", ErrNotReadOnly)
	}
	depth, first := 0, ""
	for i, t := range toks {
		switch {
		case t.text == ";":
			return "", fmt.Errorf("more than one statement (a semicolon at byte %d): %w", t.pos, ErrNotReadOnly)
		case t.text == "(":
			depth++
		case t.text == ")":
			depth--
			if first == "" {
				first = t.text // "()SELECT": no kind, refused below
			}
		case first == "" && t.word:
			first = strings.ToUpper(t.text)
		case first == "":
			// The statement's kind is its first token after opening parentheses; one that is no
			// word ("(0 SELECT", found by FuzzCheckReadOnly) is no allowed kind, refused below.
			first = t.text
		}
		next := func(k int) (token, bool) {
			if i+k < len(toks) {
				return toks[i+k], true
			}
			return token{}, false
		}
		if n, ok := next(1); ok && n.text == "(" {
			if name := unquoteName(t.text); outsideFunctions[strings.ToLower(name)] {
				return "", fmt.Errorf("%s(...) reaches outside the ledger (files, URLs, other servers): %w", name, ErrNotReadOnly)
			}
		}
		if !t.word {
			continue
		}
		switch strings.ToUpper(t.text) {
		case "INTO":
			if n, ok := next(1); ok && strings.EqualFold(n.text, "OUTFILE") {
				return "", fmt.Errorf("INTO OUTFILE writes a file on the ledger's host: %w", ErrNotReadOnly)
			}
		case "FORMAT":
			// A FORMAT clause (FORMAT name, last or before SETTINGS) would change the answer's
			// encoding under the backend; a column or function named format is not one.
			n, ok := next(1)
			after, more := next(2)
			if depth == 0 && ok && n.word && (!more || strings.EqualFold(after.text, "SETTINGS")) {
				return "", fmt.Errorf("FORMAT %s: the output format is the command's --format, not the statement's: %w", n.text, ErrNotReadOnly)
			}
		}
	}
	if !readOnlyKinds[first] || !toks[0].word && toks[0].text != "(" {
		kind := first
		if kind == "" {
			kind = toks[0].text
		}
		return "", fmt.Errorf("%s statements are not allowed; only %s: %w", kind, ReadOnlyKinds, ErrNotReadOnly)
	}
	last := toks[len(toks)-1]
	return sql[toks[0].pos : last.pos+last.size], nil
}

// outsideFunctions are the table and scalar functions that read files, URLs or other servers
// (lower case). The engines' readonly setting does not stop all of them everywhere (chdb
// answers DESCRIBE file(...) under readonly=1, with the file's first line as a column name), so
// they are refused by name, wherever they appear and however the name is quoted.
var outsideFunctions = map[string]bool{
	"file": true, "filecluster": true, "url": true, "urlcluster": true, "remote": true, "remotesecure": true,
	"cluster": true, "clusterallreplicas": true, "s3": true, "s3cluster": true, "gcs": true, "oss": true,
	"cosn": true, "azureblobstorage": true, "azureblobstoragecluster": true, "hdfs": true, "hdfscluster": true,
	"mysql": true, "postgresql": true, "mongodb": true, "redis": true, "sqlite": true, "jdbc": true, "odbc": true,
	"input": true, "executable": true, "iceberg": true, "icebergs3": true, "icebergazure": true,
	"icebergcluster": true, "deltalake": true, "hudi": true, "arrowflight": true, "ytsaurus": true,
	"fuzzjson": false, // harmless: generates data; listed to document the choice
}

// unquoteName strips one pair of backquotes or double quotes from an identifier.
func unquoteName(s string) string {
	if len(s) >= 2 && (s[0] == '`' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// token is one significant lexeme of a statement: a word (keyword or bare identifier), a
// literal, a quoted identifier or one punctuation byte. pos and size locate it in the input.
type token struct {
	text string
	word bool
	pos  int
	size int
}

// scanSQL splits a statement into tokens, dropping white space and comments.
func scanSQL(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"), c == '#':
			// ClickHouse ends these comments at a newline. '#' not followed by a space or '!'
			// is no comment to ClickHouse but a syntax error, so hiding the line is safe.
			n := strings.IndexByte(s[i:], '\n')
			if n < 0 {
				n = len(s) - i
			}
			i += n
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			n, err := blockComment(s, i)
			if err != nil {
				return nil, err
			}
			i = n
		case c == '\'' || c == '"' || c == '`':
			n, err := quoted(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{text: s[i:n], pos: i, size: n - i})
			i = n
		case c == '$':
			n, ok, err := heredoc(s, i)
			if err != nil {
				return nil, err
			}
			if !ok { // not a heredoc: a bare word starting with '$'
				for n = i + 1; n < len(s) && (isWordByte(s[n]) || s[n] == '$' || s[n] >= 0x80); n++ {
				}
			}
			out = append(out, token{text: s[i:n], pos: i, size: n - i})
			i = n
		case isWordByte(c) || c >= 0x80:
			n := i
			for n < len(s) && (isWordByte(s[n]) || s[n] == '$' || s[n] >= 0x80) {
				n++
			}
			out = append(out, token{text: s[i:n], word: !isDigit(c) && c < 0x80, pos: i, size: n - i})
			i = n
		default:
			out = append(out, token{text: s[i : i+1], pos: i, size: 1})
			i++
		}
	}
	return out, nil
}

// blockComment returns the end of the (possibly nested) comment starting at i.
func blockComment(s string, i int) (int, error) {
	depth, start := 0, i
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, nil
			}
		default:
			i++
		}
	}
	return 0, fmt.Errorf("unterminated comment at byte %d", start)
}

// quoted returns the end of the literal or quoted identifier starting at i: a backslash
// escapes the next byte and a doubled quote stands for itself.
func quoted(s string, i int) (int, error) {
	q, start := s[i], i
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated %c literal at byte %d", q, start)
}

// heredoc returns the end of a $tag$…$tag$ literal starting at i; ok is false when the '$'
// does not open one.
func heredoc(s string, i int) (end int, ok bool, err error) {
	n := i + 1
	for n < len(s) && isWordByte(s[n]) {
		n++
	}
	if n >= len(s) || s[n] != '$' {
		return 0, false, nil
	}
	tag := s[i : n+1]
	closeAt := strings.Index(s[n+1:], tag)
	if closeAt < 0 {
		return 0, false, fmt.Errorf("unterminated heredoc %s at byte %d", tag, i)
	}
	return n + 1 + closeAt + len(tag), true, nil
}

func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
