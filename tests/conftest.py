"""Fixtures shared by the backend test files (a module's own fixture of the same name wins)."""

from __future__ import annotations

import pytest

from core.dataforge.db import Database


@pytest.fixture
def db(tmp_path):
    """A fresh database in the test's own folder."""
    database = Database(tmp_path)
    yield database
    database.close()


@pytest.fixture
def ws(db):
    return db.create_workspace("Imports")
