"""A local stand-in for Globus Auth, Transfer and a collection's HTTPS server.

Used by the test suite, the README demo and users' own pipeline rehearsals::

    python -m globusput.testing            # serve until Ctrl-C, printing what to export
    python -m globusput.testing run -- globusput dist/ /builds/ <collection-id>
"""

from globusput.testing.standin import (
    DEMO_CLIENT_ID,
    DEMO_COLLECTION_ID,
    Collection,
    Fault,
    StandIn,
    client_username,
)

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_COLLECTION_ID",
    "Collection",
    "Fault",
    "StandIn",
    "client_username",
]
