"""Concord: consultation and consensus decisions for alliances of sovereign states."""

__version__ = "0.1.0"
