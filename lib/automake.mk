# (filled in by the lib owner)
