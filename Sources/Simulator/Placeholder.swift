// Simulator: placeholder until the module lands.
