session_table "sentinel-sessions" {
  region = "eu-west-1"
  match  = "by_identity"
}

rule "prod" {
  effect   = "require_sever_session"
  profiles = ["prod-*"]
  mode     = ["server", "console"]
}

check "SC1001" {
  severity       = "fatal"
  min_compliance = 101
}
