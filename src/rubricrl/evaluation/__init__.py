"""Evaluation: pairwise jury comparison of two models' plans, statistics, and the HTML run report."""
