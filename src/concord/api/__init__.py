"""The REST API (django-ninja) and its personal tokens."""
