"""Web pages. For now one plain page listing procedures; the full application comes later."""
