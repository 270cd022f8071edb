"""SNMP: a net-snmp client (``client``), IF-MIB rates (``interfaces``), device profiles as data
(``profiles`` + ``profiles/*.toml``), the collector, and ARP/FDB tables for the IP–MAC checks."""
