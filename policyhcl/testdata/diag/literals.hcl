rule "vars" {
  effect   = var.effect
  profiles = [local.profile]
  reason   = upper("x")
}

rule "unquoted" {
  effect = allow
}

rule "types" {
  effect   = "allow"
  profiles = "prod-*"
  users    = [1, true]
}

check "SC1001" {
  enabled        = "yes"
  min_compliance = "90"
}
