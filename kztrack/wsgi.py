import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kztrack.settings")
application = get_wsgi_application()

# Load the URLs (and with them the API and its schemas) now, then move everything loaded
# so far out of the garbage collector's sight: it never becomes garbage, yet every full
# collection walked all of it (~140,000 objects), stalling one request in a hundred by
# 100 ms and more (bench/README.md, "API tail").
get_resolver().check()
gc.freeze()
