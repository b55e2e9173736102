"""Fixtures of the emitter's tests (helpers live in support.py)."""

from __future__ import annotations

import pytest
from support import ReportServer


@pytest.fixture
def report_server():
    """A local HTTP server answering 200 unless scripted otherwise (``server.script.append(Reply(...))``)."""
    server = ReportServer()
    yield server
    server.stop()
