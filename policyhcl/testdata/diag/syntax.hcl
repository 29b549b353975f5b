rule "r" {
  effect = "allow"
  profiles = ["a" "b"]
}
