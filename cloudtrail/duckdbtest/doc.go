// Package duckdbtest runs the Athena source's generated SQL in DuckDB, an
// embedded SQL engine, over the same CloudTrail records the file source
// reads, to prove the query selects and projects exactly the events the
// file source decodes. It is a module of its own so that DuckDB's cgo
// bindings and prebuilt libraries stay out of the product's go.mod; the
// test needs the duckdb build tag and a C compiler:
//
//	cd cloudtrail/duckdbtest && go test -mod=mod -tags duckdb -count=1 .
package duckdbtest
