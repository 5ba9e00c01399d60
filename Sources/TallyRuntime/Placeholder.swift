// Placeholder until the runtime's first file lands.
