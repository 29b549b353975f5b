# Example policy for the Acme organisation: production (111122223333) and
# staging (444455556666). Run it with the README's first command.

# Where the activity comes from; a relative path is relative to this file.
cloudtrail {
  source = "cloudtrail"
}

session_table "sentinel-sessions" {
  region = "eu-west-1"
  match  = "auto"
}

profile "prod-admin" {
  role_arns   = ["arn:aws:iam::111122223333:role/ProdAdmin"]
  description = "Production administrators"
}

profile "prod-readonly" {
  role_arns   = ["arn:aws:iam::111122223333:role/ProdReadOnly"]
  description = "Production read-only access for support"
}

profile "staging-dev" {
  role_arns   = ["arn:aws:iam::444455556666:role/Developer*"]
  description = "Developers in staging"
}

profile "audit" {
  role_arns   = ["arn:aws:iam::*:role/SecurityAudit"]
  description = "The security team's read-only audit role, in every account"
}

profile "ci-deploy" {
  role_arns   = ["arn:aws:iam::111122223333:role/GitHubDeploy"]
  description = "Deployments from GitHub Actions (OIDC)"
}

# Production in office hours: only through the credential server, with a
# live session record.
rule "prod-office-hours" {
  effect   = "require_server_session"
  profiles = ["prod-*"]
  time {
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours {
      start = "07:00"
      end   = "20:00"
    }
    timezone = "Europe/Berlin"
  }
  session_table = "sentinel-sessions"
  reason        = "Production access goes through the credential server"
}

# Production outside office hours: an approved request is needed.
rule "prod-after-hours" {
  effect   = "require_approval"
  profiles = ["prod-*"]
  reason   = "After-hours production access needs an approval"
}

rule "staging-via-broker" {
  effect   = "require_server"
  profiles = ["staging-*"]
  reason   = "Staging credentials come from the broker"
}

rule "audit-and-deploy" {
  effect   = "allow"
  profiles = ["audit", "ci-deploy"]
}

check "untracked-session" {
  severity       = "error"
  min_compliance = 100
}
