identity {
  pattern = "sentinel:(?P<user>[a-z]+):(?P<request>[0-9a-f]{8})"
}

session_table "sessions" {}

profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod"]
}

rule "catch-all" {
  effect        = "require_server"
  session_table = "sessions"
}

rule "never" {
  effect = "require_approval"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}
