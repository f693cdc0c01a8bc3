"""The collection as Globus Transfer sees it: its HTTPS base URL, folders, stat and rename.

Folders are made here rather than inferred from PUT errors, because the HTTPS servers disagree
on how to say "missing folder" (WebDAV 409, nginx 500, Globus undocumented).
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from globusput.errors import AuthError, CollectionError, ServiceError

if TYPE_CHECKING:
    import globus_sdk


class TransferRefused(Exception):
    """Transfer will not do filesystem operations for us here; HTTPS may still work."""


@dataclass(frozen=True)
class CollectionInfo:
    id: str
    base_url: str  #: the collection's ``https_server``, without a trailing slash
    display_name: str
    entity_type: str
    high_assurance: bool


class Collection:
    """Transfer operations on one collection, each mapped to what globusput needs to know."""

    def __init__(
        self,
        client: globus_sdk.TransferClient,
        collection_id: uuid.UUID,
        identity: str,
        warn: Callable[[str], None],
    ) -> None:
        self._client = client
        self.id = str(collection_id)
        self._identity = identity
        self._warn = warn
        self._known_folders: set[str] = {"/"}
        self.filesystem_ops = True  #: False once Transfer refused stat/mkdir/rename

    def info(self) -> CollectionInfo:
        """Read the endpoint document; its ``https_server`` is where data goes."""
        doc = self._call(lambda: self._client.get_endpoint(self.id), "look up the collection")
        base = doc.get("https_server")
        name = doc.get("display_name") or self.id
        if not base:
            raise CollectionError(
                f"collection {name} ({self.id}) has no HTTPS server: HTTPS access is not enabled "
                "there; ask its administrator, or choose a GCSv5 collection"
            )
        if not str(base).startswith("https://"):
            raise CollectionError(f"collection {self.id} advertises a non-https server {base}")
        return CollectionInfo(
            self.id,
            str(base).rstrip("/"),
            str(name),
            str(doc.get("entity_type") or ""),
            bool(doc.get("high_assurance")),
        )

    def stat(self, path: str) -> dict[str, Any] | None:
        """The Transfer stat entry of ``path``, None if it does not exist or Transfer refuses."""
        import globus_sdk

        if not self.filesystem_ops:
            return None
        try:
            return dict(self._client.operation_stat(self.id, path).data)
        except globus_sdk.TransferAPIError as exc:
            if exc.http_status == 404 or "NotFound" in str(exc.code):
                return None
            if self._refused(exc):
                return None
            raise self._service_error(exc, f"stat {path}") from None
        except globus_sdk.NetworkError as exc:
            raise ServiceError(f"cannot reach Globus Transfer: {exc}") from None

    def ensure_folders(self, folders: Iterable[str]) -> int:
        """``mkdir -p`` each folder (parents first); returns how many mkdir requests were made."""
        requests = 0
        for folder in folders:
            requests += self._mkdir_p(folder.rstrip("/") or "/")
            if not self.filesystem_ops:
                break
        return requests

    def _mkdir_p(self, folder: str) -> int:
        import globus_sdk

        if folder in self._known_folders:
            return 0
        made = 0
        for attempt in range(2):
            made += 1
            try:
                self._client.operation_mkdir(self.id, folder)
            except globus_sdk.TransferAPIError as exc:
                code = str(exc.code)
                if "Exists" in code:
                    break
                if self._refused(exc):
                    return made
                parent = posixpath.dirname(folder)
                if attempt == 0 and parent not in self._known_folders:
                    # the parent is missing (said as 404 NotFound or a MkdirFailed variant)
                    made += self._mkdir_p(parent)
                    if not self.filesystem_ops:
                        return made
                    continue
                raise self._service_error(exc, f"create folder {folder}") from None
            except globus_sdk.NetworkError as exc:
                raise ServiceError(f"cannot reach Globus Transfer: {exc}") from None
            break
        self._known_folders.add(folder)
        return made

    def rename(self, old: str, new: str) -> None:
        import globus_sdk

        try:
            self._client.operation_rename(self.id, old, new)
        except globus_sdk.TransferAPIError as exc:
            raise self._service_error(exc, f"rename {old} to {new}") from None

    def _refused(self, exc: globus_sdk.TransferAPIError) -> bool:
        """Permission denied for filesystem operations: warn once and carry on with PUTs."""
        if exc.http_status != 403 and "PermissionDenied" not in str(exc.code):
            return False
        if self.filesystem_ops:
            self._warn(
                f"Globus Transfer refused folder operations on collection {self.id} for "
                f"{self._identity} ({exc.code}); continuing with HTTPS uploads only, so missing "
                "folders are not created and an existing folder at a file destination is not "
                "detected"
            )
        self.filesystem_ops = False
        return True

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        import globus_sdk

        try:
            return call()
        except globus_sdk.TransferAPIError as exc:
            if exc.http_status == 404 or exc.code in ("EndpointNotFound", "NotFound"):
                raise CollectionError(
                    f"collection {self.id} was not found by Globus Transfer: check "
                    "GLOBUS_COLLECTION_ID"
                ) from None
            raise self._service_error(exc, what) from None
        except globus_sdk.NetworkError as exc:
            raise ServiceError(f"cannot reach Globus Transfer: {exc}") from None

    def _service_error(self, exc: globus_sdk.TransferAPIError, what: str) -> Exception:
        if exc.http_status in (401, 403):
            return AuthError(
                f"Globus Transfer refused to {what} on collection {self.id} for {self._identity} "
                f"({exc.http_status} {exc.code}): grant that identity access to the collection"
            )
        return ServiceError(
            f"Globus Transfer failed to {what} on collection {self.id}: {exc.http_status} "
            f"{exc.code}: {exc.message}"
        )
