"""Renderers: one module per kind of generated file, each a pure function of the spec."""
