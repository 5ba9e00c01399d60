print("tally: not yet wired")
