package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
)

// format is how a request body frames its records.
type format int

const (
	formatAuto   format = iota // application/json, application/cloudevents+json: one object, or an array
	formatBatch                // application/cloudevents-batch+json: an array
	formatNDJSON               // application/x-ndjson: one record per line
)

// Content types the connector accepts (parameters such as charset are ignored).
const (
	ContentTypeJSON       = "application/json"
	ContentTypeCloudEvent = "application/cloudevents+json"
	ContentTypeBatch      = "application/cloudevents-batch+json"
	ContentTypeNDJSON     = "application/x-ndjson"
)

// requestError is a whole-request failure: nothing of the request was taken.
type requestError struct {
	status  int
	code    string
	message string
}

func (e *requestError) Error() string { return e.code + ": " + e.message }

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: "bad_request", message: fmt.Sprintf(format, args...)}
}

// rawRecord is one record's original bytes and, for NDJSON, its 1-based line number.
type rawRecord struct {
	value []byte
	line  int
}

// formatOf maps the Content-Type header to a body format.
func formatOf(contentType string) (format, *requestError) {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mt = ""
	}
	switch mt {
	case ContentTypeJSON, ContentTypeCloudEvent:
		return formatAuto, nil
	case ContentTypeBatch:
		return formatBatch, nil
	case ContentTypeNDJSON:
		return formatNDJSON, nil
	}
	return 0, &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
		message: fmt.Sprintf("content type %q: want %s, %s, %s or %s", clip(contentType),
			ContentTypeJSON, ContentTypeCloudEvent, ContentTypeBatch, ContentTypeNDJSON)}
}

// split frames body into records. max bounds their number (413 beyond it). Arrays are checked
// as JSON (a broken array cannot be split, so it is refused whole, naming the index); an NDJSON
// line is framed by its newline, so a broken line is only that record's rejection later.
func split(f format, body []byte, max int, out []rawRecord) ([]rawRecord, *requestError) {
	trimmed := trimJSONSpace(body)
	if len(trimmed) == 0 {
		return out, badRequest("empty body: no records")
	}
	switch {
	case f == formatNDJSON:
		out = splitLines(body, out) // untrimmed: line numbers count leading blank lines
	case f == formatBatch && trimmed[0] != '[':
		return out, badRequest("%s body: want a JSON array of records", ContentTypeBatch)
	case trimmed[0] == '[':
		var err *requestError
		if out, err = splitArray(trimmed, max, out); err != nil {
			return out, err
		}
	default:
		if !json.Valid(trimmed) {
			return out, badRequest("body: not a JSON object or array")
		}
		out = append(out, rawRecord{value: trimmed})
	}
	if len(out) == 0 {
		return out, badRequest("no records in the body")
	}
	if len(out) > max {
		return out, tooManyRecords(max)
	}
	return out, nil
}

func tooManyRecords(max int) *requestError {
	return &requestError{status: http.StatusRequestEntityTooLarge, code: "too_many_records",
		message: fmt.Sprintf("more than %d records in one request; split it", max)}
}

// splitLines returns the non-blank lines of body with their line numbers.
func splitLines(body []byte, out []rawRecord) []rawRecord {
	for n := 1; len(body) > 0; n++ {
		line, rest, _ := bytes.Cut(body, []byte{'\n'})
		body = rest
		if line = trimJSONSpace(line); len(line) > 0 {
			out = append(out, rawRecord{value: line, line: n})
		}
	}
	return out
}

// splitArray returns the elements of a JSON array (body starts with '['), each as a sub-slice
// of body: a boundary scan, then json.Valid per element, so splitting allocates nothing and a
// broken element is named by its index.
func splitArray(body []byte, max int, out []rawRecord) ([]rawRecord, *requestError) {
	i := skipJSONSpace(body, 1)
	if i < len(body) && body[i] == ']' {
		i++
	} else {
		for idx := 0; ; idx++ {
			if idx == max {
				return out, tooManyRecords(max)
			}
			i = skipJSONSpace(body, i)
			end := valueEnd(body, i)
			if elem := body[i:end]; !json.Valid(elem) {
				return out, badRequest("body[%d]: not valid JSON", idx)
			}
			out = append(out, rawRecord{value: body[i:end]})
			if i = skipJSONSpace(body, end); i == len(body) {
				return out, badRequest("body[%d]: the array is not closed (want ',' or ']')", idx+1)
			}
			if c := body[i]; c == ']' {
				i++
				break
			} else if c != ',' {
				return out, badRequest("body[%d]: want ',' or ']' after the element, got %q", idx, c)
			}
			i++
		}
	}
	if skipJSONSpace(body, i) != len(body) {
		return out, badRequest("body: unexpected data after the array")
	}
	return out, nil
}

// valueEnd returns where the JSON value starting at body[i] ends, matching brackets outside
// strings; json.Valid judges the value itself.
func valueEnd(body []byte, i int) int {
	depth, inString := 0, false
	for ; i < len(body); i++ {
		c := body[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					return i + 1
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return i // the end of a scalar, or the array's own ']'
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			return i
		}
	}
	return min(i, len(body))
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// trimJSONSpace trims JSON's insignificant whitespace (space, tab, CR, LF) and nothing else:
// a body starting with, say, a no-break space is not JSON and must not be read as such.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
