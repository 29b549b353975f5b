rule "office-hours" {
  effect = "allow"
  time {
    days     = ["monday", "Tuesday", "wed", "funday"]
    timezone = "Europe/Berlim"
    hours {
      start = "8:00am"
      end   = "24:01"
    }
  }
}

rule "same-start-and-end" {
  effect = "allow"
  time {
    hours { start = "09:00"  end = "09:00" }
  }
}

rule "forgot-the-hours" {
  effect = "allow"
  time {
    timezone = "Europe/Berlin"
  }
}

rule "empty-days-no-hours" {
  effect = "allow"
  time {
    days = []
  }
}
