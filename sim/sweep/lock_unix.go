//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sweep

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f without waiting; it is released when f is
// closed (or the process dies), so a killed sweep never leaves a stale lock.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
