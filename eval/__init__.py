"""Answer-quality evaluation over a hand-written question set (`python -m eval`)."""
