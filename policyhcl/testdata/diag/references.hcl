session_table "sentinel-sessions" {
  region = "eu-west-1"
}

profile "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"]
}

profile "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin2"]
}

rule "prod" {
  effect        = "require_server_session"
  profiles      = ["prod-admn"]
  session_table = "sentinel-session"
}

rule "prod" {
  effect = "deny"
}

rule "empty-table" {
  effect        = "require_server_session"
  session_table = ""
}
