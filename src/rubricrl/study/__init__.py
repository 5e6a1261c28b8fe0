"""The human study: blind pairwise preference and rubric approval by experts, on one SQLite file."""
