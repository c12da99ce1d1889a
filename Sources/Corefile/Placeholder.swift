// Corefile: placeholder until the module lands.
