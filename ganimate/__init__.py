"""ganimate: change facial expressions in videos with FACS Action Units (GANimation)."""

__version__ = "0.1.0"
