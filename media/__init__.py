"""Order artwork as bytes: type sniffing, data URLs, content-addressed storage and the sweep.

API workers decode and store files here and send only the sha256 to the
writer, which never touches image bytes. Serving over HTTP lives in
`api/media_serve.py`: this package imports no web framework.
"""

from .errors import MediaError, MediaInvalid, MediaNotFound, MediaStorageFull, MediaTooLarge
from .sniff import ACCEPTED_MIME_TYPES, sniff
from .store import MediaStore, StoredMedia

__all__ = [
    "ACCEPTED_MIME_TYPES",
    "MediaError",
    "MediaInvalid",
    "MediaNotFound",
    "MediaStorageFull",
    "MediaStore",
    "MediaTooLarge",
    "StoredMedia",
    "sniff",
]
