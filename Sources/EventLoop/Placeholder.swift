// EventLoop: placeholder until the module lands.
