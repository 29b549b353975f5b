//go:build !unix

package cloudtrail

import "io/fs"

// fileKey identifies a file or folder; on this platform folders are not
// tracked and the walk depth bounds link loops instead.
type fileKey struct{ dev, ino uint64 }

func keyOf(fs.FileInfo) (fileKey, bool) { return fileKey{}, false }
