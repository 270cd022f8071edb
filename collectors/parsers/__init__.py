"""Parsers of what hosts and devices print, shared by the local and SSH collectors."""
