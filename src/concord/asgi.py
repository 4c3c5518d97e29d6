import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
django_application = get_asgi_application()

from concord.api.batched import BatchedPositions  # noqa: E402  (Django is set up first)

#: Positions filed with ``Prefer: return=minimal`` go to the batching desk; all else to Django.
application = BatchedPositions(django_application)

# Everything loaded so far lives as long as the process: move it out of the collector's sight, so
# that a full collection (a pause that grows with the heap) walks only what requests allocate.
gc.freeze()
