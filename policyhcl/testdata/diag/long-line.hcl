profile "prod" {
  role_arns = ["arn:aws:iam::123456789012:role/prod"]
}

rule "r" {
  profiles = ["prod-000", "prod-001", "prod-002", "prod-003", "prod-004", "prod-005", "prod-006", "prod-007", "prod-008", "prod-009", "prod-010", "prod-011", "prod", "prod-000", "prod-001", "prod-002", "prod-003", "prod-004", "prod-005", "prod-006", "prod-007", "prod-008", "prod-009", "prod-010", "prod-011", "prod-	-tab", "prod-last"]
  effect   = "allow"
}
