//go:build !linux

package main

import "os"

// isTerminal reports whether f is a character device: the best guess without termios calls
// (it takes /dev/null for a terminal, which then reads an empty, non-matching answer).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
