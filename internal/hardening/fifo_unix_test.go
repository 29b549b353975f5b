//go:build unix

package hardening

import "syscall"

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

func umask(mask int) int { return syscall.Umask(mask) }
