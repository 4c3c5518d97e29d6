"""The alliance: states, memberships, delegations, users, bodies and formats (M1)."""
