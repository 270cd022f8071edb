"""SSH transport (netmiko): CLI readings, configuration backup with change control, Linux checks."""
