"""PostgreSQL connections that survive warm invocations.

One connection per thread: a Lambda instance has one thread, so it reuses one
connection across invocations; the in-process local stack runs handlers on several
threads and gets one each. Broken connections are replaced on the next use.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from crm_finance.errors import DatabaseUnavailable

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import DictRow

    Cursor = psycopg.Cursor[DictRow]


class Database:
    def __init__(
        self,
        url: str,
        *,
        connect_timeout: int = 5,
        statement_timeout_ms: int = 10_000,
        cursor_factory: type | None = None,
    ) -> None:
        self._url = url
        self._connect_timeout = connect_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._cursor_factory = cursor_factory  # benchmarks count statements with their own
        self._local = threading.local()

    @property
    def url(self) -> str:
        return self._url

    def _connection(self) -> psycopg.Connection[DictRow]:
        import psycopg
        from psycopg.rows import dict_row

        conn: psycopg.Connection[DictRow] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        try:
            conn = psycopg.connect(  # type: ignore[assignment]
                self._url,
                connect_timeout=self._connect_timeout,
                options=f"-c statement_timeout={self._statement_timeout_ms}",
                row_factory=dict_row,
                application_name="crm-finance",
                autocommit=True,
            )
        except psycopg.Error as exc:
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL: {type(exc).__name__}"
            ) from exc
        if self._cursor_factory is not None:
            conn.cursor_factory = self._cursor_factory
        self._local.conn = conn
        return conn  # type: ignore[return-value]

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor inside one transaction; driver failures become ``DatabaseUnavailable``."""
        import psycopg

        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise DatabaseUnavailable(f"PostgreSQL failed: {type(exc).__name__}") from exc

    @contextmanager
    def statement(self) -> Iterator[Cursor]:
        """A cursor for one self-contained statement: one round trip, no BEGIN/COMMIT.

        Inside an open ``transaction()`` on this thread it simply joins that transaction.
        """
        import psycopg

        conn = self._connection()
        try:
            with conn.cursor() as cur:
                yield cur
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise DatabaseUnavailable(f"PostgreSQL failed: {type(exc).__name__}") from exc

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection must not raise
                conn.close()


_databases: dict[str, Database] = {}
_lock = threading.Lock()


def fetch_one(cur: Cursor) -> DictRow:
    """The single row a statement must return (INSERT ... RETURNING, lookups by key)."""
    row = cur.fetchone()
    if row is None:
        raise LookupError("statement returned no row")
    return row


def database_for(
    url: str, *, connect_timeout: int = 5, statement_timeout_ms: int = 10_000
) -> Database:
    """Module-level cache so warm invocations reuse the connection."""
    with _lock:
        db = _databases.get(url)
        if db is None:
            db = _databases[url] = Database(
                url, connect_timeout=connect_timeout, statement_timeout_ms=statement_timeout_ms
            )
        return db
