"""The kernel: leaf types and helpers every part may import (model, errors, durations, secrets,
windows, bindings, sqlite_upgrade, logs, options); it imports nothing else of roomwatch."""
