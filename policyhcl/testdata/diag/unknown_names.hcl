profle "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"]
}

rule "prod" {
  efect    = "require_server"
  profiles = ["prod-*"]
  user     = ["alice"]
  time {
    day = ["monday"]
  }
}

check "untracked-sesion" {
  enable = true
}
