//go:build !linux

package capi

// keepGoSignalHandlers runs fn. Only Linux builds of libchdb are supported
// (the Makefile fetches @chdb/lib-linux-x64-gnu); elsewhere the protection of
// the Go runtime's signal handlers is not implemented.
func keepGoSignalHandlers(fn func()) error {
	fn()
	return nil
}
