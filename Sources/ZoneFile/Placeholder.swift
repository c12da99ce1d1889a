// ZoneFile: placeholder until the module lands.
