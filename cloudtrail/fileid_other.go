//go:build !unix

package cloudtrail

import "io/fs"

// fileKey identifies a file or folder; on this platform folders are not
// tracked and the walk depth bounds link loops instead.
type fileKey struct{ dev, ino uint64 }

func keyOf(fs.FileInfo) (fileKey, bool) { return fileKey{}, false }

// hardLinked reports whether a file has more than one name; unknown here.
func hardLinked(fs.FileInfo) bool { return false }
