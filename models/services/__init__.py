"""Domain services: plain functions taking ``*, session`` that flush but never commit.

The caller (a portal request, a job worker) owns the transaction, so a job delivered twice or a
request that fails half-way leaves no partial state behind.
"""
