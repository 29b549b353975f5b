// Package fspath reads paths the way the system resolves them, where that
// differs from path/filepath's text rules: in "a/link/../f", ".." is the
// parent of the folder the link leads to, not "a".
package fspath

import (
	"os"
	"path/filepath"
	"strings"
)

// RawDir is the folder part of path as written, not cleaned: the folder
// the system writes a file at path into.
func RawDir(path string) string {
	i := strings.LastIndexAny(path, "/"+string(os.PathSeparator))
	switch {
	case i < 0:
		return "."
	case i == 0:
		return path[:1]
	}
	return path[:i]
}

// Abs is path made absolute without cleaning it.
func Abs(path string) (string, error) {
	if filepath.IsAbs(path) {
		return path, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return wd + string(os.PathSeparator) + path, nil
}

// Real is where the system puts a file at path: its folder as RealDir
// reads it, and its last name kept, as a link there is replaced, not
// followed. ok is false when no folder of path exists.
func Real(path string) (string, bool) {
	abs, err := Abs(path)
	if err != nil {
		return "", false
	}
	dir, ok := RealDir(abs)
	if !ok {
		return "", false
	}
	return filepath.Join(dir, filepath.Base(abs)), true
}

// RealDir is the folder the system writes a file at path into, links
// followed and ".." after a link taken from the link's target; folders
// that do not exist yet (which writing creates) are appended to the
// nearest one that does. ok is false when none does.
func RealDir(path string) (string, bool) {
	abs, err := Abs(path)
	if err != nil {
		return "", false
	}
	dir := RawDir(abs)
	var missing []string
	for {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(append([]string{real}, missing...)...), true
		}
		up := RawDir(dir)
		if up == dir {
			return "", false
		}
		missing = append([]string{dir[len(up):]}, missing...)
		dir = up
	}
}
