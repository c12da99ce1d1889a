// Plugins: placeholder until the module lands.
