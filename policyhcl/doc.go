// Package policyhcl is the HCL policy language of sentinel-check: it parses
// and validates policy files, formats them, and evaluates requests against
// them. It knows nothing of AWS.
//
// # Files
//
// A policy is one file, several files, or a folder of *.hcl files (not
// recursive). All files are read in the lexical order of their paths and
// form one policy: block names are global, and "file order" below means
// that order, then the order inside each file. Values must be literals:
// quoted strings, numbers, true/false and lists of them; variables and
// function calls are errors. A block may be written on one line with
// several arguments, as in hours { start = "08:00"  end = "20:00" }
// (sentinel-check fmt expands it).
//
// # Blocks
//
//	identity {                 # at most one
//	  pattern = "^sentinel[:.](?P<user>…)[:.](?P<approval>…)[:.](?P<request>…)$"
//	}
//
// pattern (required) is an RE2 regular expression, at most 1024 bytes, for
// the SourceIdentity the broker stamps. Named groups: user (a warning if
// missing), approval ("direct" or an approval id), request. Without an
// identity block the broker's 4-part form sentinel:<user>:<approval>:<request>
// and the legacy 3-part form sentinel:<user>:<request> (no approval) are both
// accepted; with one, only its pattern is. An unanchored pattern (no ^…$) is a
// warning: it would also accept identities that merely contain the form.
//
//	session_table "sentinel-sessions" {   # label: the DynamoDB table name
//	  region = "eu-west-1"                # optional
//	  match  = "auto"                     # auto | source_identity | user_profile_window
//	}
//
// A rule's session_table names the table its sessions are matched against;
// a session whose rule names none is matched against the records of every
// table together, as one store, so the tables share one match mode.
//
//	profile "prod-admin" {
//	  role_arns   = ["arn:aws:iam::111122223333:role/ProdAdmin"]  # required, globs
//	  description = "Production administrators"
//	}
//
// A role maps to the first profile, in file order, with a matching
// role_arns glob. Two profiles whose globs can match the same role ARN get
// a warning on the later one; the check is exact for globs (a product of
// the two patterns) but counts only strings with the five colons of an IAM
// role ARN, so arn:aws:iam::*:role/prod-* and arn:aws:iam::*:role/dev-* do
// not overlap. A glob that cannot match any role ARN is an error.
//
//	rule "prod-needs-tracked-session" {
//	  effect        = "require_server_session"  # required
//	  profiles      = ["prod-*"]                # globs on profile names; absent or [] = any
//	  users         = ["*"]                     # globs on the identity's user; absent or [] = any
//	  mode          = ["server"]                # server | cli | credential_process; absent = any
//	  session_table = "sentinel-sessions"       # optional, names a session_table block
//	  reason        = "Production access goes through the credential server"
//	  time {                                    # optional, at most one
//	    days     = ["monday", "friday"]         # monday…sunday or mon…sun, any case; absent = every day
//	    hours    { start = "08:00"  end = "20:00" }  # HH:MM, [start, end); end may be "24:00"
//	    timezone = "Europe/Berlin"              # IANA name; default UTC; unknown = error
//	  }
//	}
//
// Effects and what they demand of an access event:
//
//   - require_server_session: a broker identity and a matching, live session record
//   - require_server: a broker identity
//   - require_approval: a broker identity with an approval id (not "direct", not the 3-part form)
//   - allow: nothing
//   - deny: the access should not have happened
//
// Per-check settings, and where CloudTrail activity is read from:
//
//	check "untracked-session" {   # label: a check name or id (SC1001)
//	  enabled        = true
//	  severity       = "error"    # error | warning | note
//	  min_compliance = 100        # untracked-session only: percent, 0 to 100, at most two decimals; the profile's exact rate, or its rate over the sessions that had to be tracked, below it fails the check
//	}
//
//	cloudtrail {                  # any number
//	  source          = "s3://bucket/prefix"  # required: a path, s3://…, lookup: or athena://workgroup/db.table
//	  output_location = "s3://athena-results/"  # Athena query results
//	  regions         = ["eu-west-1"]         # regions of an AWS partition (a mistyped one is an error)
//	  accounts        = ["111122223333"]
//	}
//
// # Globs
//
// In role_arns, profiles and users, * matches any run of characters, / and :
// included (as in IAM ARN wildcards), and ? exactly one character; every
// other character matches itself, case-sensitively. Empty patterns and
// control characters are errors, and so is a role_arns pattern that no IAM
// role ARN (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME) can match: a space
// or a character outside printable ASCII, a literal account that is not 12
// digits, a role session's sts assumed-role ARN, a missing colon, a trailing
// slash, or two ARNs in one string. A role's path may hold colons.
//
// # Evaluation
//
// A request is {profile, user, time, mode}; an access seen in CloudTrail is
// evaluated with the event's own time and mode "server", and its user is the
// identity's user group. Rules are tried in file order and the first that
// matches wins; when none matches the access is denied. A rule matches when
// each condition it sets holds:
//
//   - profiles: some glob matches the profile;
//   - users: the request has a broker identity and some glob matches its
//     user, the identity pattern's user group, empty when the group is
//     (a request without a broker identity matches only rules without
//     users);
//   - mode: the list contains the request's mode (so a rule for cli or
//     credential_process only never matches a CloudTrail event);
//   - time: the time, converted to timezone, falls on one of the days and
//     inside [start, end). When end is before start the hours wrap past
//     midnight (22:00–06:00), and the day is still that of the local time:
//     Saturday 02:00 belongs to Saturday, not to Friday night.
//
// # Diagnostics
//
// Every problem is an hcl.Diagnostic with a source range, shown as
// file:line:col with the source line and a ^~~ marker. Errors: unknown
// blocks or arguments (with "Did you mean"), wrong value types, bad effect,
// mode, match, severity, day, time of day, min_compliance, glob or regular
// expression, unknown time zone, a session_table that no block declares,
// session tables with different match modes, a
// check label that is not a known check, duplicate names of profiles, rules,
// session tables or checks (across all files), a second identity block,
// nesting deeper than 64 levels, a string or heredoc of more than 1000
// parts (lines, $${ and %%{ escapes, interpolations), files over 1 MiB, a role_arns pattern that
// cannot match a role, a policy without profiles (where one is required).
// Warnings: overlapping profiles, an identity pattern without a user group
// or anchors, an unreachable rule (after a rule without conditions, or after
// one whose only condition is a profiles list that covers every profile it
// names), a rule's profiles glob that matches no profile, require_approval with an identity pattern
// that has no approval group, an empty days list, a min_compliance between
// 0 and 1 (a fraction where a percentage is meant), and min_compliance on a
// check that has no threshold.
package policyhcl
