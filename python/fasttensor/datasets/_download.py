"""Downloading a file safely: stream it to a temporary file in the target
folder, check its length and MD5 (or SHA-1) sum, then rename it into place. On any
failure the temporary file is removed, so nothing half-written remains."""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from typing import Optional

_CHUNK_BYTES = 1 << 20


def download_file(url: str, path: str, checksum: Optional[str], timeout: float = 60.0, algorithm: str = "md5",
                  message: Optional[str] = None) -> None:
    """Fetches ``url`` into ``path`` if its hash (``algorithm``: md5 or sha1) is ``checksum`` (any, when that
    is None); raises RuntimeError (and writes nothing) otherwise. Prints ``message`` first (default:
    torchvision's "Downloading <url> to <path>")."""
    folder, name = os.path.split(path)
    print(f"Downloading {url} to {path}" if message is None else message, flush=True)
    fd, tmp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder or ".")
    try:
        digest = hashlib.new(algorithm)
        received = 0
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "fasttensor"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    expected = response.headers.get("Content-Length")
                    while True:
                        chunk = response.read(_CHUNK_BYTES)
                        if not chunk:
                            break
                        digest.update(chunk)
                        out.write(chunk)
                        received += len(chunk)
            except http.client.IncompleteRead as e:
                raise RuntimeError(f"connection closed after {received + len(e.partial)} bytes of {url} "
                                   f"({e.expected} more expected); nothing was saved") from e
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                raise RuntimeError(f"failed to download {url}: {e}") from e
        if expected is not None and received != int(expected):
            raise RuntimeError(f"connection closed after {received} of {expected} bytes of {url}; nothing was saved")
        if checksum is not None and digest.hexdigest() != checksum:
            raise RuntimeError(f"checksum mismatch for {url}: expected {algorithm.upper()} {checksum}, got "
                               f"{digest.hexdigest()}; nothing was saved")
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
