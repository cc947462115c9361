# (filled in by the utilities owner)
