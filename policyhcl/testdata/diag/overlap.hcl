profile "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"]
}

profile "prod-all" {
  role_arns = [
    "arn:aws:iam::444455556666:role/*",
    "arn:aws:iam::*:role/Prod*",
  ]
}

profile "dev" {
  role_arns = ["arn:aws:iam::*:role/dev-*"]
}

rule "all" {
  effect = "require_server"
}

# A colon in a role's path: the first profile's wildcard name matches it.
profile "team" {
  role_arns = ["arn:aws:iam::777788889999:role/b*"]
}

profile "team-eu" {
  role_arns = ["arn:aws:iam::777788889999:role/b:eu/*"]
}
