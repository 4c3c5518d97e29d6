"""The unit tests cover the pure domain core and run without Django (``-p no:django``).

Two accommodations keep them runnable before the project is installed into the venv:

* ``src`` is put on the import path when ``concord`` is not importable yet (``make`` installs it
  in editable mode, after which this does nothing);
* pyproject.toml names ``DJANGO_SETTINGS_MODULE`` for pytest-django; with that plugin disabled the
  option would be unknown, and pytest's warning about it is an error in this project. It is
  registered here, as an inert option, only when pytest-django is not loaded.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("concord") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin("django"):
        parser.addini(
            "DJANGO_SETTINGS_MODULE", "unused without pytest-django", type="string", default=""
        )
