// Package english words counts for messages and reports.
package english

import "strconv"

// Count is "1 file" or "2 files": n with the singular or the plural word.
func Count[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return strconv.FormatInt(int64(n), 10) + " " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}
