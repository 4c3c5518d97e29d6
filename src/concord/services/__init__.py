"""Use cases. Each opens a transaction, loads what it needs, asks the domain core, writes the result
and its audit event together, and returns plain values. Views, routes, commands and tasks call
these and nothing below them."""
