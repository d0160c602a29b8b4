"""QuickBooks Online v3 sandbox emulator for local development and integration tests.

Speaks enough of QBO's REST API, OAuth 2.0 token endpoint and fault shapes that the
unmodified python-quickbooks / intuit-oauth clients work against it over HTTP.
"""

from .emulator import QboEmulator
from .faults import QboFault

__all__ = ["QboEmulator", "QboFault"]
