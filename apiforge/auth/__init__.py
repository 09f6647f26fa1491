"""Who is asking: the principal of a request, in every auth mode (see docs/security.md)."""
