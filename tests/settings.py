"""The test settings: production's, plus what only the test runner needs."""

from kztrack.settings import *  # noqa: F403
from kztrack.settings import INSTALLED_APPS

# The test runner's `flush` between transactional tests must lift the log's triggers;
# that command lives here, out of reach of a production deployment.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]

# Full-strength PBKDF2 costs about a second per user created; tests check behaviour, not
# the hash's strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
