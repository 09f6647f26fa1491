"""Typed events, the event log (sequencing, persistence, replay) and the live bus."""
