"""Order artwork: type sniffing, content-addressed storage and HTTP serving.

API workers decode and store files here and send only the sha256 to the
writer, which never touches image bytes.
"""

from .errors import MediaError, MediaInvalid, MediaNotFound, MediaStorageFull, MediaTooLarge
from .serve import file_response
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
    "file_response",
    "sniff",
]
