// Package gzipmember reads a gzip stream member after member, so that data
// after the last member is told apart from a member cut short (a gzip
// reader in multistream mode reports both as a bad or truncated header).
package gzipmember

import (
	"bufio"
	"errors"
	"io"
)

// ErrTrailing is data after a gzip stream's last member that is not
// another member.
var ErrTrailing = errors.New("the data after the end of the gzip stream is not gzip data")

// Decoder is the part of a gzip reader that Reader drives; the standard
// library's and klauspost/compress's readers both have it.
type Decoder interface {
	io.Reader
	Reset(io.Reader) error
	Multistream(bool)
}

// Reader reads the members of the stream d decodes from src, one after the
// other, as gzip -d does. Its errors are d's, src's, or ErrTrailing.
type Reader struct {
	d   Decoder
	src *bufio.Reader
}

// New returns a Reader over d, which was made (or Reset) on src.
func New(d Decoder, src *bufio.Reader) *Reader {
	d.Multistream(false)
	return &Reader{d: d, src: src}
}

func (r *Reader) Read(p []byte) (int, error) {
	for {
		n, err := r.d.Read(p)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil // the member's end shows again on the next read
		}
		next, err := r.src.Peek(2)
		switch {
		case len(next) < 2 && err != nil && err != io.EOF:
			return 0, err // a read that broke off
		case len(next) == 0:
			return 0, io.EOF
		case len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b:
			if err := r.d.Reset(r.src); err != nil {
				return 0, err
			}
			r.d.Multistream(false)
		default:
			return 0, ErrTrailing
		}
	}
}
