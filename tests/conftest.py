import pytest

from tests.base import make_editor, make_world


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def editor(db):
    return make_editor()
