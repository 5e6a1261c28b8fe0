"""rubricrl: train AI co-scientists with rubric rewards mined from the literature."""

__version__ = "0.1.0"
