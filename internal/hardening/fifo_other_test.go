//go:build !unix

package hardening

import "errors"

func mkfifo(string) error { return errors.New("named pipes are a unix feature") }

func umask(int) int { return 0 } // no umask: files get the modes asked for
