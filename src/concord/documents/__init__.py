"""Documents: reference numbers, markings, immutable revisions of numbered paragraphs (M2)."""
