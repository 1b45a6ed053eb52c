package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// textTable lays out rows in columns two spaces apart: text left-aligned, the columns marked
// right (amounts, quantities, counts) right-aligned, so decimal points line up for a reader.
type textTable struct {
	header []string
	right  []bool
	rows   [][]string
}

// newTable starts a table; a header ending in ">" is a right-aligned column ("NET>").
func newTable(header ...string) *textTable {
	t := &textTable{header: make([]string, len(header)), right: make([]bool, len(header))}
	for i, h := range header {
		t.header[i], t.right[i] = strings.TrimSuffix(h, ">"), strings.HasSuffix(h, ">")
	}
	return t
}

// add appends a row; it must have one cell per column.
func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the header and the rows; trailing spaces are trimmed.
func (t *textTable) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{t.header}, t.rows...) {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}
