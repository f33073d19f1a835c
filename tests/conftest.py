import pytest
from django.core.cache import cache

from tests.base import make_editor, make_world
from timeline import projections


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def editor(db):
    return make_editor()


@pytest.fixture(autouse=True)
def _no_log_stamp_from_another_test():
    """The projection keeps the log's stamp in the cache, outside the database: a test's
    stamp must not outlive the rolled-back transaction that wrote its events."""
    cache.delete(projections.stamp_key())
    yield
