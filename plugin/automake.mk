# (filled in by the plugin owner)
