// Package awsaccount tells AWS account ids apart from other text: the
// policy's role ARNs, --account values, and the account folders and file
// names of CloudTrail's layout all hold them.
package awsaccount

// IsID reports whether s is an AWS account id: twelve ASCII digits.
func IsID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
