# More than 50 warnings and no error: the ones past 50 are counted.

rule "r00" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r01" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r02" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r03" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r04" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r05" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r06" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r07" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r08" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r09" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r10" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r11" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r12" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r13" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r14" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r15" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r16" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r17" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r18" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r19" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r20" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r21" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r22" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r23" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r24" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r25" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r26" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r27" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r28" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r29" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r30" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r31" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r32" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r33" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r34" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r35" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r36" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r37" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r38" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r39" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r40" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r41" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r42" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r43" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r44" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r45" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r46" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r47" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r48" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r49" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r50" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r51" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r52" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r53" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}

rule "r54" {
  effect = "allow"
  time {
    days = []
    hours {
      start = "08:00"
      end   = "18:00"
    }
  }
}
