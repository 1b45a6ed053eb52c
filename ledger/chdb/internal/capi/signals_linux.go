package capi

import (
	"fmt"
	"syscall"
	"unsafe"
)

// deadlySignals are the signals libchdb takes over when a connection opens,
// and resets to SIG_DFL when told not to: its handler for SIGSEGV logs a
// stack trace and sleeps for minutes. The Go runtime owns them — SIGSEGV is
// how a nil dereference becomes a recoverable panic, SIGURG drives
// preemption — so they must stay Go's. Measured here: without this, a Go nil
// dereference after the engine started never reached recover().
var deadlySignals = []syscall.Signal{
	syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGILL, syscall.SIGBUS, syscall.SIGSYS,
	syscall.SIGFPE, syscall.SIGTSTP, syscall.SIGTRAP, syscall.SIGURG,
}

// kernelSigaction is an opaque buffer large enough for the kernel's struct
// sigaction on every Linux architecture (32 bytes on amd64 and arm64); it is
// saved and written back unchanged, so its layout never matters.
type kernelSigaction [64]byte

// sigsetSize is the size of the kernel's sigset_t, which rt_sigaction checks.
const sigsetSize = 8

func sigaction(sig syscall.Signal, act, old *kernelSigaction) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), sigsetSize, 0, 0)
	if errno != 0 {
		return fmt.Errorf("rt_sigaction(%d): %w", sig, errno)
	}
	return nil
}

// keepGoSignalHandlers runs fn (which may rewrite the deadly signals'
// handlers) and then puts the Go runtime's handlers back.
func keepGoSignalHandlers(fn func()) error {
	saved := make([]kernelSigaction, len(deadlySignals))
	for i, sig := range deadlySignals {
		if err := sigaction(sig, nil, &saved[i]); err != nil {
			return err
		}
	}
	fn()
	for i, sig := range deadlySignals {
		if err := sigaction(sig, &saved[i], nil); err != nil {
			return err
		}
	}
	return nil
}
