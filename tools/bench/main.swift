print("tally-bench: not yet written")
