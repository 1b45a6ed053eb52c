package capi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// These tests need no libchdb: they cover the paths that must fail cleanly
// when it is absent or the directory is taken.

func TestOpenWithoutLibrary(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libchdb.so")
	cases := []struct {
		name, lib, want string
	}{
		{"nothing configured", "", "no path configured"},
		{"file absent", missing, missing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvLibPath, "")
			_, _, err := Open(c.lib, t.TempDir())
			if !errors.Is(err, ErrLibraryMissing) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "make deps") {
				t.Fatalf("Open = %v, want ErrLibraryMissing mentioning %q and `make deps`", err, c.want)
			}
		})
	}
}

func TestOpenNotALibrary(t *testing.T) {
	bogus := filepath.Join(t.TempDir(), "libchdb.so")
	if err := os.WriteFile(bogus, []byte("not an ELF object"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(bogus, t.TempDir())
	if !errors.Is(err, ErrLibraryMissing) || !strings.Contains(err.Error(), "dlopen") {
		t.Fatalf("Open = %v, want ErrLibraryMissing from dlopen", err)
	}
}

func TestResolvePath(t *testing.T) {
	t.Setenv(EnvLibPath, "/from/env.so")
	if got := ResolvePath("/explicit.so"); got != "/explicit.so" {
		t.Errorf("explicit path: got %q", got)
	}
	if got := ResolvePath(""); got != "/from/env.so" {
		t.Errorf("env fallback: got %q", got)
	}
}

func TestCheckUnlocked(t *testing.T) {
	dir := t.TempDir()
	if err := checkUnlocked(dir); err != nil {
		t.Fatalf("fresh directory: %v", err)
	}
	status := filepath.Join(dir, "status")
	f, err := os.Create(status)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkUnlocked(dir); err != nil {
		t.Fatalf("unlocked status file: %v", err)
	}
	// Hold the lock the way a running ClickHouse does; flock locks conflict
	// between open file descriptions, even inside one process.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	err = checkUnlocked(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("locked directory: %v, want ErrLocked naming %s", err, dir)
	}
}
