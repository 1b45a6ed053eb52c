package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binaryPackage is what the children run.
const binaryPackage = "github.com/cascade-billing/cascade/cmd/cascade"

// builder builds the binary once per test binary: every scenario runs the same executable.
var builder struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of a freshly built `cascade` executable, building it on the first
// call of the test binary (without -race: the child need not pay for it; the test process may
// run with it). The build goes to a private temp directory, removed by RemoveBinary.
func Binary(tb testing.TB) string {
	tb.Helper()
	path, err := build()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// build builds the binary on its first call and returns the path (or the build's error).
func build() (string, error) {
	builder.once.Do(func() {
		dir, err := os.MkdirTemp("", "cascade-chaos-bin-")
		if err != nil {
			builder.err = fmt.Errorf("chaos: temp dir for the binary: %w", err)
			return
		}
		builder.dir = dir
		builder.path = filepath.Join(dir, "cascade")
		cmd := exec.Command("go", "build", "-o", builder.path, binaryPackage)
		if out, err := cmd.CombinedOutput(); err != nil {
			builder.err = fmt.Errorf("chaos: go build %s: %w\n%s", binaryPackage, err, out)
		}
	})
	return builder.path, builder.err
}

// RemoveBinary deletes the built binary; TestMain calls it after the run.
func RemoveBinary() {
	if builder.dir != "" {
		_ = os.RemoveAll(builder.dir)
	}
}
