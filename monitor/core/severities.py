"""Syslog severity names (RFC 5424), indexed by their number: 0 emerg … 7 debug. Here, in the
kernel, so that the ``logs`` command can offer them without loading the evidence store."""

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
