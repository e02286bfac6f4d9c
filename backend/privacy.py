"""Personal data: HMAC for matching, Fernet for the sealed copy (masks: reissue.masking), photos without metadata."""
from __future__ import annotations

import hashlib
import hmac
import io
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Optional

from PIL import Image, ImageOps, JpegImagePlugin

from reissue import sealing

# An ID photo is a few hundred pixels a side; a small file that decodes to more than this is refused unread.
PHOTO_MAX_PIXELS = 25_000_000
# Pillow's format name → the content type stored (MPO: a phone camera's multi-picture JPEG, its first picture kept).
PHOTO_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png"}


def id_hmac(id_number: str, key: str) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number; equal IDs give equal digests."""
    return hmac.new(key.encode("utf-8"), id_number.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


# The backend's sealed copies of ID numbers: the salt and context they have always been sealed under.
SEAL_CONTEXT, SEAL_SALT = b"id-seal-v1", b"reissue-backend"


def seal(value: str, secret: str) -> str:
    """Encrypt `value` for storage (only a future controlled path may open it)."""
    return sealing.seal(value, secret, SEAL_CONTEXT, SEAL_SALT)


def unseal(token: str, secret: str) -> str:
    """Decrypt a value sealed by `seal` (used by tests and a future agency export only)."""
    return sealing.unseal(token, secret, SEAL_CONTEXT, SEAL_SALT)


def token_hash(token: str) -> str:
    """The stored form of a secret token (a staff session's, a handoff's or a callback offer's user side)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_equal(given: str, expected: str) -> bool:
    """Compare two tokens in constant time (an empty expected token never matches)."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class CleanPhoto:
    """A photo encoded again from its pixels alone, and its content type."""

    data: bytes
    content_type: str


def _jpeg_options(source: Any) -> Dict[str, Any]:
    """Save options that keep a JPEG's own quantisation tables and subsampling (so its size stays about the same)."""
    options: Dict[str, Any] = {"qtables": source.quantization}
    subsampling = JpegImagePlugin.get_sampling(source)
    if subsampling != -1:
        options["subsampling"] = subsampling
    return options


def reencode_photo(data: bytes) -> Optional[CleanPhoto]:
    """The JPEG or PNG in `data` turned upright and encoded again without EXIF (GPS included), comments, XMP or
    text chunks; None when it is not a readable JPEG or PNG of at most PHOTO_MAX_PIXELS pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            content_type = PHOTO_TYPES.get(str(source.format))
            if content_type is None or source.width * source.height > PHOTO_MAX_PIXELS:
                return None
            source.load()
            upright = ImageOps.exif_transpose(source)
            out = io.BytesIO()
            if content_type == "image/jpeg":
                upright.info = {}
                upright.save(out, "JPEG", **_jpeg_options(source))
            else:
                upright.info = {key: source.info[key] for key in ("transparency",) if key in source.info}
                upright.save(out, "PNG")
    except Exception:  # noqa: BLE001 - whatever the bytes are, an unreadable photo is simply refused
        return None
    return CleanPhoto(out.getvalue(), content_type)
