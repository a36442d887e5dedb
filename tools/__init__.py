"""Build and release tools run from the repository (not shipped in the layer)."""
