"""The record: the audit chain and the decisions (M7)."""
