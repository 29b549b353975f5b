identity {
}

profile "p" {
}

rule "r" {
}

rule {
  effect = "allow"
}

cloudtrail {
  regions = ["eu-west-1"]
}
