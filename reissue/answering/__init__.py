"""Answering questions: what to answer (plan) and how to say it (render), both pure."""
