// Package hardening holds tests only: they run the sentinel-check binary end
// to end on generated scenarios ("no wrong compliant"), on hostile
// CloudTrail values (output escaping, no secrets, no network) and against
// AWS stand-ins that fail on purpose (fault injection).
package hardening
