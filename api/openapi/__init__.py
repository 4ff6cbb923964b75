"""The served OpenAPI document: its paths come from the route table (``api/routes.py``), its
operations from ``document.py`` (commands and the first queries) and ``queries.py`` (the
newer queries), built from the shared pieces in ``parts.py``; ``route.py`` serves it."""
