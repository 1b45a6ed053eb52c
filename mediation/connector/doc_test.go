package connector_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docExample is one curl example of docs/api.md and the answer the page shows for it.
type docExample struct {
	headers map[string]string
	body    string
	status  int
	answer  string
}

var (
	docHeader = regexp.MustCompile(`-H '([^:]+): ([^']*)'`)
	docAnswer = regexp.MustCompile(`^Answer \(HTTP (\d+)\):$`)
)

// parseDocExamples reads every `curl … --data-binary @- <<'EOF'` example and the ```json block
// after the "Answer (HTTP n):" line that follows it.
func parseDocExamples(t *testing.T, path string) []docExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docExample
	var cur *docExample
	state := "" // "", "curl", "body", "answer", "json"
	var body, answer []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == "" && strings.HasPrefix(line, "curl "):
			cur, state, body, answer = &docExample{headers: map[string]string{}}, "curl", nil, nil
			fallthrough
		case state == "curl":
			for _, m := range docHeader.FindAllStringSubmatch(line, -1) {
				cur.headers[m[1]] = m[2]
			}
			if strings.Contains(line, "<<'EOF'") {
				state = "body"
			}
		case state == "body" && line == "EOF":
			cur.body, state = strings.Join(body, "\n")+"\n", "answer"
		case state == "body":
			body = append(body, line)
		case state == "answer" && docAnswer.MatchString(line):
			cur.status, _ = strconv.Atoi(docAnswer.FindStringSubmatch(line)[1])
		case state == "answer" && line == "```json" && cur.status != 0:
			state = "json"
		case state == "json" && line == "```":
			cur.answer, state = strings.Join(answer, "\n"), ""
			out = append(out, *cur)
		case state == "json":
			answer = append(answer, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAPIDocExamples sends every example of docs/api.md through the handler and compares the
// answer with the one the page shows, so the documentation cannot drift from the code.
func TestAPIDocExamples(t *testing.T) {
	examples := parseDocExamples(t, "../../docs/api.md")
	if len(examples) < 5 {
		t.Fatalf("found %d examples in docs/api.md, want at least 5", len(examples))
	}
	for i, ex := range examples {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			f := newFixture(t, nil)
			r := httptest.NewRequest(http.MethodPost, "/v1/usage", strings.NewReader(ex.body))
			for k, v := range ex.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != ex.status {
				t.Fatalf("status %d, the page shows %d; body %s", w.Code, ex.status, w.Body)
			}
			var got, want any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(ex.answer), &want); err != nil {
				t.Fatalf("the page's answer is not JSON: %v\n%s", err, ex.answer)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answer\n%s\nthe page shows\n%s", w.Body, ex.answer)
			}
		})
	}
}
