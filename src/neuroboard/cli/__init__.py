"""The ``neuroboard`` command."""
