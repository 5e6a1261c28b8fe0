"""Experiments that answer a question end to end: the controlled learning experiment."""
