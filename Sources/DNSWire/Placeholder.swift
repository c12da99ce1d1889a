// DNSWire: placeholder until the module lands.
