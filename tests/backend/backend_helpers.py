"""Shared constants and builders for the backend tests (imported by conftest and the test modules)."""
from __future__ import annotations

import io
import uuid
from typing import Any, Dict, Tuple

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BOT_TOKEN = "test-bot-token-0123456789"
STAFF_TOKEN = "test-staff-token-9876543210"
BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
ALLOWED_ORIGIN = "http://portal.test"
PASSWORD = "correct-horse-battery"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def synthetic_id(first17: str) -> str:
    """A synthetic ID number with a correct GB 11643 check digit (computed here, independently)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS))
    return first17 + "10X98765432"[total % 11]


ID_A = synthetic_id("37010219900101123")
ID_B = synthetic_id("37020219851231456")


def application_body(**overrides: Any) -> Dict[str, Any]:
    """A valid application body; keyword arguments replace fields (None removes a field)."""
    body: Dict[str, Any] = {
        "reason": "lost",
        "qualification": "一级建造师",
        "level": "一级",
        "specialty": "建筑工程",
        "obtained": "2015-06",
        "applicant_name": "张三",
        "id_number": ID_A,
        "cert_number": "不记得",
        "city": "济南市",
        "phone": "13800138000",
        "channel": "web",
        "sender_ref": "sender-1",
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def new_key() -> str:
    """A fresh Idempotency-Key."""
    return "key-" + uuid.uuid4().hex


def photo_bytes(image_format: str = "JPEG", size: Tuple[int, int] = (60, 80), **options: Any) -> bytes:
    """A small real image (a colour gradient) encoded as JPEG or PNG with Pillow's save `options`."""
    from PIL import Image

    width, height = size
    image = Image.new("RGB", size)
    image.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def sign_in(app: Any, client: Any, username: str) -> Any:
    """`client` after a new reviewer account `username` signed in through the staff page's form."""
    from backend import accounts

    accounts.create_account(app.state.factory, username, PASSWORD, accounts.REVIEWER)
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    return client
