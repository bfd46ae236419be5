"""Business rules. One transaction per use case (the caller's unit of work); every change writes an
audit entry in the same transaction (:mod:`dnacase.services.audit`). Services raise the exceptions
of :mod:`dnacase.services.errors` and never import the web layer.
"""
