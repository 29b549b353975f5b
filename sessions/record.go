// Package sessions reads the credential broker's session records (its
// DynamoDB table or an exported file) and matches them to CloudTrail events.
package sessions

import (
	"context"
	"time"
)

// Record statuses.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusExpired = "expired"
)

// DefaultTable is the broker's table name.
const DefaultTable = "sentinel-sessions"

// Record is one broker session (SPEC §5). Times are parsed from RFC 3339
// strings; a zero time means the attribute was absent.
type Record struct {
	ID               string    `json:"id"`
	User             string    `json:"user"`
	Profile          string    `json:"profile"`
	ServerInstanceID string    `json:"server_instance_id,omitempty"`
	Status           string    `json:"status"`
	StartedAt        time.Time `json:"started_at"`
	LastAccessAt     time.Time `json:"last_access_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	RequestCount     int64     `json:"request_count"`
	SourceIdentity   string    `json:"source_identity,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	TTL              int64     `json:"ttl,omitempty"`
	RevokedBy        string    `json:"revoked_by,omitempty"`
	RevokedReason    string    `json:"revoked_reason,omitempty"`
}

// RevokedAt is the revocation time of a revoked record (its updated_at).
func (r *Record) RevokedAt() time.Time { return r.UpdatedAt }

// End is the last moment the record covers: max(expires_at, last_access_at).
func (r *Record) End() time.Time {
	if r.LastAccessAt.After(r.ExpiresAt) {
		return r.LastAccessAt
	}
	return r.ExpiresAt
}

// Query says which records a store must return at least. Stores may return
// more; matching applies the exact rules.
type Query struct {
	Start, End time.Time
	Profiles   []string // the profiles whose records are needed
	IDs        []string // record ids known in advance, fetched by key (BatchGetItem)
}

// Stats counts what a store read and skipped.
type Stats struct {
	Source         string `json:"source"`
	Kind           string `json:"kind"` // file | dynamodb
	Records        int64  `json:"records"`
	RecordsSkipped int64  `json:"records_skipped"`
	// RecordsUnusable counts the skipped records that could not be used
	// (malformed, a missing or mistyped attribute), not the superseded
	// versions of an id; FirstUnusable is the first of them.
	RecordsUnusable int64 `json:"records_unusable"`
	FirstUnusable   *Skip `json:"-"`
	Pages           int64 `json:"pages,omitempty"`
	Requests        int64 `json:"requests,omitempty"`
	// Method says how a DynamoDB table was read ("scan").
	Method  string `json:"method,omitempty"`
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is a record passed over, with the reason (e.g. line 12: not an object).
type Skip struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// Store is a source of session records.
type Store interface {
	Name() string
	// Load reads the records q asks for and hands each one to b as soon as
	// it is decoded, so that no store holds all of its records at once;
	// b.Index() then indexes them. Stats.Records counts the distinct ids
	// added. On error b holds what was read before it: discard it.
	Load(ctx context.Context, q Query, b *IndexBuilder) (Stats, error)
}
