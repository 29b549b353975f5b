# The example from the specification, one-line blocks included.
identity {
  pattern = "^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?P<approval>direct|[0-9a-f]{8})[:.](?P<request>[0-9a-f]{8})$"
}

session_table "sentinel-sessions" {
  region = "eu-west-1"
  match  = "auto"
}

profile "prod-admin" {
  role_arns   = ["arn:aws:iam::111122223333:role/ProdAdmin"]
  description = "Production administrators"
}

rule "prod-needs-tracked-session" {
  effect   = "require_server_session"
  profiles = ["prod-*"]
  users    = ["*"]
  mode     = ["server"]
  time {
    days     = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours    { start = "08:00"  end = "20:00" }
    timezone = "Europe/Berlin"
  }
  session_table = "sentinel-sessions"
  reason        = "Production access goes through the credential server"
}

check "untracked-session" {
  enabled        = true
  severity       = "error"
  min_compliance = 100
}
