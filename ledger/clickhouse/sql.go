package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Statically check the Store answers analysts' SQL.
var _ ledger.SQL = (*Store)(nil)

// readonlyCode is ClickHouse's READONLY error: the statement needs write access.
const readonlyCode = 164

// Query implements ledger.SQL on the server. The statement passes ledger.CheckReadOnly, then
// runs with the query setting readonly = 1, under which the server refuses every write, DDL,
// settings change and table function that touches files; the native protocol carries exactly
// one statement per query, so nothing can be smuggled after a semicolon. It runs on its own
// connection whose default database is the ledger's, so analysts write FROM usage rather than
// FROM db.usage: one connection per call, which suits a command line and an occasional API
// call, not a hot path.
func (s *Store) Query(ctx context.Context, sql string) ([]string, [][]string, error) {
	stmt, err := ledger.CheckReadOnly(sql)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger/clickhouse: sql: %w", err)
	}
	return s.queryReadOnly(ctx, stmt)
}

// queryReadOnly is Query after ledger.CheckReadOnly: what the server enforces by itself, which
// must hold even for a statement the scanner misjudged (tests call it with unchecked text).
func (s *Store) queryReadOnly(ctx context.Context, stmt string) ([]string, [][]string, error) {
	if s.closed.Load() {
		return nil, nil, ledger.ErrClosed
	}
	conn, err := ch.Open(&ch.Options{
		Addr:         []string{s.cfg.Addr},
		Auth:         ch.Auth{Database: s.cfg.Database, Username: s.cfg.Username, Password: s.cfg.Password},
		DialTimeout:  s.cfg.DialTimeout,
		ReadTimeout:  s.cfg.ReadTimeout,
		MaxOpenConns: 1,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ledger/clickhouse: sql on %s: %w: %w", s.cfg.Addr, ledger.ErrUnavailable, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	ctx = ch.Context(ctx, ch.WithSettings(ch.Settings{"readonly": 1}))
	rows, err := conn.Query(ctx, stmt)
	if err != nil {
		return nil, nil, sqlErr(s.cfg.Addr, err)
	}
	defer rows.Close()
	cols := rows.Columns()
	types := rows.ColumnTypes()
	var out [][]string
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, fmt.Errorf("ledger/clickhouse: sql: scan row %d: %w: %w", len(out), ledger.ErrQuery, err)
		}
		row := make([]string, len(dest))
		for i, d := range dest {
			row[i] = cellText(reflect.ValueOf(d).Elem(), types[i].DatabaseTypeName())
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, sqlErr(s.cfg.Addr, err)
	}
	return cols, out, nil
}

// sqlErr classifies a failed statement: the server's READONLY refusal is ErrNotReadOnly, any
// other server exception the statement's fault (ErrQuery), anything else the transport's
// (ErrUnavailable: retrying may help).
func sqlErr(addr string, err error) error {
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return fmt.Errorf("ledger/clickhouse: sql on %s: %w", addr, classify(err))
	}
	msg, _, _ := strings.Cut(ex.Message, "\n")
	if ex.Code == readonlyCode {
		return fmt.Errorf("ledger/clickhouse: sql: code %d: %s: %w", ex.Code, msg, ledger.ErrNotReadOnly)
	}
	return fmt.Errorf("ledger/clickhouse: sql: code %d: %s: %w", ex.Code, msg, ledger.ErrQuery)
}

// cellText prints a scanned value as ClickHouse prints it in text formats: decimals exact,
// dates and times in the column's zone, NULL as "NULL", arrays as [1,'a'].
func cellText(v reflect.Value, typ string) string {
	if !v.IsValid() {
		return "NULL"
	}
	if b, ok := v.Interface().(*big.Int); ok && b != nil { // Int128/256, UInt128/256
		return b.String()
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
	}
	inner := typ
	for _, wrap := range []string{"Nullable(", "LowCardinality("} {
		if strings.HasPrefix(inner, wrap) {
			inner = strings.TrimSuffix(strings.TrimPrefix(inner, wrap), ")")
		}
	}
	switch x := v.Interface().(type) {
	case string:
		return x
	case decimal.Decimal:
		return x.String()
	case time.Time:
		return timeText(x, inner)
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case big.Int:
		return x.String()
	case fmt.Stringer: // UUID, IPv4/IPv6
		return x.String()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Slice, reflect.Array:
		elem := strings.TrimSuffix(strings.TrimPrefix(inner, "Array("), ")")
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = nestedText(v.Index(i), elem)
		}
		if strings.HasPrefix(inner, "Tuple(") {
			return "(" + strings.Join(parts, ",") + ")"
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Map:
		parts := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			parts = append(parts, nestedText(it.Key(), "")+":"+nestedText(it.Value(), ""))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// nestedText is cellText inside an array or map, where strings are quoted as ClickHouse does.
func nestedText(v reflect.Value, typ string) string {
	s := cellText(v, typ)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return s
		}
		v = v.Elem()
	}
	switch v.Interface().(type) {
	case string, time.Time:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	return s
}

// timeText prints Date, DateTime and DateTime64(p) values as ClickHouse does.
func timeText(t time.Time, typ string) string {
	switch {
	case strings.HasPrefix(typ, "Date32"), typ == "Date":
		return t.Format("2006-01-02")
	case strings.HasPrefix(typ, "DateTime64("):
		p := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(typ, "DateTime64("), ",", 2)[0])
		p = strings.TrimSuffix(p, ")")
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n <= 9 {
			return t.Format("2006-01-02 15:04:05." + strings.Repeat("0", n))
		}
	}
	return t.Format("2006-01-02 15:04:05")
}
