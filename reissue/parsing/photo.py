"""Checks of the ID photo an applicant uploads: JPEG, 295×413 px, about 10 KB, white background."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

from reissue.knowledge import fact, message

# "About 10 KB" in the guide: anything from MIN_KB to MAX_KB is accepted.
MIN_KB = 5
MAX_KB = 40
# The background is sampled in the two top corners (where the head never is).
CORNER_WIDTH = 0.18
CORNER_HEIGHT = 0.12
MIN_BRIGHTNESS = 225
MAX_SATURATION = 30
MAX_PIXELS = 25_000_000


@dataclass(frozen=True)
class PhotoCheck:
    """The outcome of checking one photo; `problems` are Chinese sentences for the applicant."""

    ok: bool
    problems: List[str] = field(default_factory=list)
    width: Optional[int] = None
    height: Optional[int] = None
    size_kb: float = 0.0
    background: str = "unknown"
    brightness: Optional[float] = None
    saturation: Optional[float] = None


def _size_kb(data: bytes) -> float:
    """Size in KB (1 KB = 1024 bytes), one decimal."""
    return round(len(data) / 1024, 1)


def _format_kb(value: float) -> str:
    """A size for a message: "12KB", "9.5KB"."""
    return f"{value:g}KB"


def _background(image: Any) -> Tuple[float, float]:
    """Mean brightness (0–255) and mean saturation (max−min of R, G, B) of the two top corners."""
    from PIL import ImageStat

    rgb = image.convert("RGB")
    width, height = rgb.size
    corner_w = max(1, int(width * CORNER_WIDTH))
    corner_h = max(1, int(height * CORNER_HEIGHT))
    boxes = [(0, 0, corner_w, corner_h), (width - corner_w, 0, width, corner_h)]
    brightness: List[float] = []
    saturation: List[float] = []
    for box in boxes:
        region = rgb.crop(box)
        brightness.append(ImageStat.Stat(region.convert("L")).mean[0])
        pixels = list(region.getdata())
        saturation.append(sum(max(p) - min(p) for p in pixels) / max(1, len(pixels)))
    return sum(brightness) / len(brightness), sum(saturation) / len(saturation)


def _colour_name(image: Any) -> str:
    """A plain word for a coloured background (blue, red, or just "coloured")."""
    from PIL import ImageStat

    rgb = image.convert("RGB")
    width, height = rgb.size
    box = (0, 0, max(1, int(width * CORNER_WIDTH)), max(1, int(height * CORNER_HEIGHT)))
    red, green, blue = ImageStat.Stat(rgb.crop(box)).mean[:3]
    if blue >= red and blue >= green:
        return message("parse_photo_colour_blue")
    if red >= green and red >= blue:
        return message("parse_photo_colour_red")
    return message("parse_photo_colour_other")


def _background_problem(image: Any, saturation: float) -> str:
    """The sentence saying how the background differs from white."""
    if saturation > MAX_SATURATION:
        return message("parse_photo_background_colour", colour=_colour_name(image))
    return message("parse_photo_background_dark")


def check_photo(data: bytes) -> PhotoCheck:
    """Check an uploaded photo against the guide; never raises, whatever the bytes are."""
    try:
        return _check(bytes(data or b""))
    except Exception:  # noqa: BLE001 - garbage in, a plain message out
        return PhotoCheck(ok=False, problems=[_unreadable()], size_kb=_size_kb(bytes(data or b"")))


def _unreadable() -> str:
    """The message for a file that is not an image."""
    return message("parse_photo_unreadable")


def _check(data: bytes) -> PhotoCheck:
    """The body of `check_photo`."""
    from PIL import Image

    size_kb = _size_kb(data)
    if not data:
        return PhotoCheck(ok=False, problems=[message("parse_photo_missing")], size_kb=0.0)
    want_w, want_h = int(fact("photo_width_px")), int(fact("photo_height_px"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            image_format = str(image.format or "")
        except Exception:  # noqa: BLE001
            return PhotoCheck(ok=False, problems=[_unreadable()], size_kb=size_kb)
        problems: List[str] = []
        if image_format != "JPEG":
            problems.append(message("parse_photo_format", image_format=image_format or message("parse_photo_format_unknown")))
        if (width, height) != (want_w, want_h):
            problems.append(message("parse_photo_dimensions", width=width, height=height))
        if size_kb < MIN_KB or size_kb > MAX_KB:
            problems.append(message("parse_photo_size", size=_format_kb(size_kb), min_kb=MIN_KB, max_kb=MAX_KB))
        background = "unknown"
        brightness: Optional[float] = None
        saturation: Optional[float] = None
        if width * height <= MAX_PIXELS:
            try:
                image.load()
                brightness, saturation = _background(image)
            except Exception:  # noqa: BLE001
                problems.append(_unreadable())
            else:
                if brightness >= MIN_BRIGHTNESS and saturation <= MAX_SATURATION:
                    background = "white"
                else:
                    background = "not_white"
                    problems.append(_background_problem(image, saturation))
        return PhotoCheck(
            ok=not problems,
            problems=problems,
            width=width,
            height=height,
            size_kb=size_kb,
            background=background,
            brightness=None if brightness is None else round(brightness, 1),
            saturation=None if saturation is None else round(saturation, 1),
        )
