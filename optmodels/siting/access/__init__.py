"""Accessibility: the 2SFCA family of measures and the equal-accessibility models."""
