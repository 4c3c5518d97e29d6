import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
django_application = get_asgi_application()

from concord.api.batched import BatchedPositions  # noqa: E402  (Django is set up first)

#: Positions filed with ``Prefer: return=minimal`` go to the batching desk; all else to Django.
application = BatchedPositions(django_application)
