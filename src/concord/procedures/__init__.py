"""Decision procedures and the positions taken in them (M4-M6)."""
