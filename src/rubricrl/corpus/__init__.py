"""Stage 1: papers in (PDF, LaTeX, JATS XML, text), goal-rubric samples out."""
