"""Adversity before SEND: link a local authority's social care and SEND records and report.

Data flows one way: ingest -> validate -> link -> pseudonymise -> derive -> study -> chapters -> book -> publish.
"""

__version__ = "0.1.0"
