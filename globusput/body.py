"""A file as a request body: streamed from disk, hashed on the way, size-checked, cancellable."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from typing import BinaryIO

from globusput.errors import Cancelled, FileChanged

#: One read per MiB keeps syscalls and TLS records few on big files.
BLOCK_SIZE = 1 << 20


class StreamHash:
    """SHA-256 of what is sent; for big files on a helper thread, overlapping the TLS send.

    hashlib releases the GIL on large buffers, so hashing block N while block N-1 is
    encrypted and written uses a second core instead of lengthening the upload.
    """

    THREADED_FROM = 8 << 20

    def __init__(self, size: int) -> None:
        self._digest = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] | None = None
        if size >= self.THREADED_FROM:
            self._queue = queue.Queue(maxsize=2)  # bounded: memory stays flat
            self._thread = threading.Thread(target=self._consume, daemon=True)
            self._thread.start()

    def update(self, chunk: bytes) -> None:
        if self._queue is None:
            self._digest.update(chunk)
        else:
            self._queue.put(chunk)

    def hexdigest(self) -> str:
        if self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None
        return self._digest.hexdigest()

    def _consume(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            self._digest.update(chunk)


class HashingReader:
    """A file body for requests: streamed from disk, hashed once, size-checked, cancellable.

    Having ``__len__`` and ``read`` (and no ``__iter__``) makes requests send a fixed
    Content-Length and urllib3 read it block by block, so memory stays flat.
    """

    def __init__(
        self,
        stream: BinaryIO,
        size: int,
        cancel: threading.Event,
        on_read: Callable[[int], None],
    ) -> None:
        self._stream = stream
        self._size = size
        self._cancel = cancel
        self._on_read = on_read
        self.sent = 0
        self._hash = StreamHash(size)
        #: a failure reading the local file: the HTTP stack reports it as a connection error,
        #: which it is not
        self.read_error: OSError | None = None

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        if self._cancel.is_set():
            raise Cancelled
        left = self._size - self.sent
        try:
            chunk = self._stream.read(left if amount is None or amount < 0 else min(amount, left))
        except OSError as exc:
            self.read_error = exc
            raise
        if not chunk and left > 0:
            raise FileChanged(f"file shrank during upload ({self.sent} of {self._size} bytes)")
        self._hash.update(chunk)
        self.sent += len(chunk)
        self._on_read(len(chunk))
        return chunk

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def finish(self) -> None:
        """The file must still be exactly as long as announced."""
        if self.sent == self._size and self._stream.read(1):
            raise FileChanged("file grew during upload")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(BLOCK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
