// Server: placeholder until the module lands.
