identity {
  pattern = "^sentinel:(?P<user>[a-z]+:(?P<request>[0-9a-f]{8})$"
}

profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod", "", "arn:aws:iam::111122223333:role/\tTab"]
}

rule "r" {
  effect = "allow"
  users  = ["alice", "bob\u0007"]
}
