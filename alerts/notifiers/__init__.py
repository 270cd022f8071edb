"""Notifiers: the channels that carry messages to people."""
