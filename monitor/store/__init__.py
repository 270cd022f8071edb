"""Time-series stores: the Store protocol, embedded SQLite by default, InfluxDB when configured."""
