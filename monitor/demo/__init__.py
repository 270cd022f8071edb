"""``roomwatch demo``: a simulated machine room on loopback, a scripted incident, and its records."""
