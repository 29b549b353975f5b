//go:build !(goexperiment.simd && amd64)

package cloudtrail

// scanString scans a string whose opening quote is at b[i-1] and returns the
// offset just past its closing quote and the string flags.
func scanString(b []byte, i int) (int, int, error) { return scanStringSWAR(b, i) }

// skipPlain returns the offset of the first quote, backslash or control
// character at or after b[i]; see skipPlainSWAR.
func skipPlain(b []byte, i int) int { return skipPlainSWAR(b, i) }

// value scans the JSON value that starts at b[i]; see valueScalar.
func (s *scanner) value(b []byte, i int) (int, int, error) { return s.valueScalar(b, i) }
