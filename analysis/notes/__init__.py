"""Adversity from social care case notes: a transparent, rule-based coder (`coder`) with its lexicon
(`lexicon.yml`, read by `lexicon`), its agreement with people (`agreement`), and the plan for what a reviewer reads
next (`sampling`). Case notes are child-level data: nothing here publishes; note text, note ids and matched spans
stay inside the private cache."""
