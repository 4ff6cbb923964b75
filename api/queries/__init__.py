"""The read half of the API: query routes (``routes.py``) over the views, through the query
cache (``read_through.py``), with closed query formats (``query_params.py``) and answers
rendered for the caller (``view_render.py``)."""
