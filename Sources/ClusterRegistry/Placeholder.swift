// ClusterRegistry: placeholder until the module lands.
