"""The web console and HTTP API the daemon serves: pages, /api/v1, /api/v2/alerts, /metrics."""
