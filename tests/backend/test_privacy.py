"""HMAC, sealing and masking of personal numbers; photos encoded again without their metadata."""
from __future__ import annotations

import hashlib
import io
import json
import random

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from backend.privacy import id_hmac, reencode_photo, seal, tokens_equal, unseal
from backend.service import request_hash
from reissue.masking import mask_id, mask_last4, mask_name, mask_phone
from reissue.parsing.photo import check_photo
from tests.backend.backend_helpers import ID_A, ID_B, photo_bytes


def test_hmac_matches_equal_ids_only_and_depends_on_key():
    assert id_hmac(ID_A, "k") == id_hmac(ID_A.lower(), "k") != id_hmac(ID_B, "k")
    assert id_hmac(ID_A, "k") != id_hmac(ID_A, "other")
    assert ID_A not in id_hmac(ID_A, "k")


def test_seal_round_trip_and_wrong_secret_fails():
    token = seal(ID_A, "secret")
    assert ID_A not in token and unseal(token, "secret") == ID_A
    try:
        unseal(token, "another")
    except Exception as error:  # noqa: BLE001
        assert type(error).__name__ == "InvalidToken"
    else:
        raise AssertionError("a wrong secret must not open the seal")


def test_masks_hide_the_middle():
    assert mask_id(ID_A).endswith(ID_A[-4:]) and ID_A[6:14] not in mask_id(ID_A)
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三丰") == "张**" and mask_name("李") == "*"


def test_tokens_equal_refuses_empty_expected():
    assert tokens_equal("abc", "abc") and not tokens_equal("abd", "abc") and not tokens_equal("", "")


def test_stored_id_mask_keeps_the_last_four_only():
    assert mask_last4(ID_A) == "*" * 14 + ID_A[-4:]
    assert mask_last4("13800138000") == "*******8000"
    assert mask_last4("12") == "**" and mask_last4(None) == ""


def test_request_hash_is_keyed():
    body = {"id_number": ID_A, "phone": "13800138000"}
    plain = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    digest = request_hash(body, "k")
    assert digest != plain and digest == request_hash(dict(reversed(body.items())), "k")
    assert digest != request_hash(body, "other") and digest != request_hash({**body, "phone": "13900139000"}, "k")


# --- photos: encoded again from their pixels only -------------------------------------------------------

SECRET = "张三 13800138000"


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera make, an orientation and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (36.0, 40.0, 12.5), 3: "E", 4: (117.0, 0.0, 30.0)}
    return exif


def opened(data: bytes) -> Image.Image:
    """The image Pillow reads from `data`."""
    return Image.open(io.BytesIO(data))


def test_jpeg_loses_exif_gps_and_comment():
    original = photo_bytes("JPEG", exif=gps_exif(), comment=SECRET.encode("utf-8"), quality=60)
    assert b"PhoneMaker" in original and opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    clean = reencode_photo(original)
    assert clean is not None and clean.content_type == "image/jpeg"
    image = opened(clean.data)
    assert image.format == "JPEG" and image.size == (60, 80)
    assert not image.getexif() and "comment" not in image.info and "exif" not in image.info
    assert b"PhoneMaker" not in clean.data and SECRET.encode("utf-8") not in clean.data and b"Exif" not in clean.data


def test_png_loses_exif_and_text_chunks():
    text = PngImagePlugin.PngInfo()
    text.add_itxt("Author", SECRET)
    original = photo_bytes("PNG", exif=gps_exif(), pnginfo=text)
    assert b"eXIf" in original and b"Author" in original
    clean = reencode_photo(original)
    assert clean is not None and clean.content_type == "image/png"
    image = opened(clean.data)
    assert image.format == "PNG" and image.size == (60, 80) and not image.getexif() and "Author" not in image.info
    assert b"eXIf" not in clean.data and b"Author" not in clean.data and b"PhoneMaker" not in clean.data


def test_exif_orientation_is_applied_before_it_is_dropped():
    clean = reencode_photo(photo_bytes("JPEG", size=(60, 80), exif=gps_exif(orientation=6)))
    assert clean is not None and opened(clean.data).size == (80, 60)


def test_a_photo_that_meets_the_guide_still_meets_it():
    rng = random.Random(7)
    image = Image.new("RGB", (295, 413), (255, 255, 255))
    face = Image.new("RGB", (150, 200))
    face.putdata([(rng.randrange(90, 200), rng.randrange(60, 160), rng.randrange(40, 140)) for _ in range(150 * 200)])
    image.paste(face, (72, 140))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=40, exif=gps_exif())
    assert check_photo(out.getvalue()).ok
    clean = reencode_photo(out.getvalue())
    assert clean is not None and check_photo(clean.data).ok
    assert abs(len(clean.data) - len(out.getvalue())) < len(out.getvalue()) * 0.2


@pytest.mark.parametrize("data", [
    b"", b"\xff\xd8\xff\xe0" + b"\x00" * 200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, b"GIF89a" + b"\x00" * 50,
    photo_bytes("GIF"), photo_bytes("JPEG")[:120],
])
def test_unreadable_or_other_formats_give_none(data):
    assert reencode_photo(data) is None


def test_too_many_pixels_give_none():
    out = io.BytesIO()
    Image.new("L", (6000, 6000), 255).save(out, "PNG")
    assert len(out.getvalue()) < 200 * 1024 and reencode_photo(out.getvalue()) is None


def test_ids_sealed_before_the_shared_sealing_helper_still_open() -> None:
    """A token sealed with the backend's original key derivation (HKDF, its own salt and context) opens unchanged."""
    import base64

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from backend.privacy import unseal

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"reissue-backend", info=b"id-seal-v1").derive(b"s3cret")
    token = Fernet(base64.urlsafe_b64encode(key)).encrypt(b"11010519491231002X").decode()
    assert unseal(token, "s3cret") == "11010519491231002X"
