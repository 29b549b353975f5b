# The policy of the end-to-end test in internal/engine/athena_test.go: the
# same check over trail/ read as files and through Athena.

profile "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"]
}

profile "prod-readonly" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdReadOnly"]
}

profile "ci-deploy" {
  role_arns = ["arn:aws:iam::111122223333:role/GitHubDeploy"]
}

profile "staging-dev" {
  role_arns = ["arn:aws:iam::444455556666:role/Developer*"]
}

profile "audit" {
  role_arns = ["arn:aws:iam::*:role/SecurityAudit"]
}

rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod-*"]
}

rule "staging" {
  effect   = "require_server"
  profiles = ["staging-*"]
}

rule "ci" {
  effect   = "allow"
  profiles = ["ci-deploy"]
}

rule "audit" {
  effect   = "require_approval"
  profiles = ["audit"]
}
