"""Training: the TRL GRPO run and the rubric reward adapters (the only package that imports trl)."""
