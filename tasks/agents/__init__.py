"""Analyst agents: personas, prompts, LLM backends, guards; facts in, report sections out."""
