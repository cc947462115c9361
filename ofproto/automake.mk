# (filled in by the ofproto owner)
