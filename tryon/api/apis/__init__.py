"""Thin API classes, one per operation: parse input, call a selector or service, shape output."""
