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
