"""The notification pipeline: decide what to tell, keep it durably, deliver it with retries."""
