"""The Grafana dashboards, generated: ``python -m dashboards.build`` writes the JSON beside it."""
