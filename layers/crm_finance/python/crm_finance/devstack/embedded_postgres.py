"""A throwaway PostgreSQL server from ``pgserver`` when no DATABASE_URL is given."""

from __future__ import annotations

import tempfile
import warnings
from typing import Any


class EmbeddedPostgres:
    def __init__(self) -> None:
        self._server: Any = None
        self.url = ""

    def start(self) -> EmbeddedPostgres:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

            data_dir = tempfile.mkdtemp(prefix="crm-pg-")
            self._server = pgserver.get_server(data_dir, cleanup_mode="delete")
        self.url = self._server.get_uri()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
