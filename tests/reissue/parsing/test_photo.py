"""Tests of the ID photo check on images generated with Pillow."""
from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from reissue.parsing.photo import MAX_KB, MIN_KB, check_photo

WIDTH, HEIGHT = 295, 413


def portrait(size=(WIDTH, HEIGHT), background=(255, 255, 255), fmt="JPEG", quality=85, noise=0.0) -> bytes:
    """A passport-style picture: plain background, head and shoulders in the middle.

    `noise` (0–1) is the share of random pixels in the body, which makes the JPEG larger without touching
    the background corners.
    """
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.3, h * 0.18, w * 0.7, h * 0.55), fill=(200, 160, 130))
    draw.rectangle((w * 0.15, h * 0.6, w * 0.85, h), fill=(30, 30, 60))
    if noise:
        rng = random.Random(0)
        for _ in range(int(noise * w * h * 0.2)):
            x, y = rng.randrange(int(w * 0.2), int(w * 0.8)), rng.randrange(int(h * 0.62), h)
            image.putpixel((x, y), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, format=fmt, quality=quality) if fmt == "JPEG" else image.save(out, format=fmt)
    return out.getvalue()


def test_correct_photo_passes() -> None:
    """A white-background 295×413 JPEG of a plausible size passes."""
    data = portrait(noise=0.02)
    result = check_photo(data)
    assert 7 <= result.size_kb <= 15, result.size_kb
    assert result.ok, result.problems
    assert (result.width, result.height) == (WIDTH, HEIGHT)
    assert result.background == "white"
    assert result.problems == []


def test_wrong_size_says_the_size() -> None:
    """The message names the actual and the required pixels."""
    result = check_photo(portrait(size=(300, 400)))
    assert not result.ok
    assert "照片尺寸是300×400像素，需要295×413像素。" in result.problems


def test_png_is_rejected() -> None:
    """PNG fails with a format message (other checks still run)."""
    result = check_photo(portrait(fmt="PNG"))
    assert not result.ok
    assert any("照片格式是PNG" in problem and "JPG或JPEG" in problem for problem in result.problems)


@pytest.mark.parametrize("background, word", [((40, 40, 40), "偏暗"), ((150, 150, 150), "偏暗"), ((30, 90, 200), "蓝色"),
                                              ((210, 30, 30), "红色")])
def test_non_white_background(background, word: str) -> None:
    """Dark, grey, blue and red backgrounds fail and the message says how."""
    result = check_photo(portrait(background=background))
    assert not result.ok
    assert result.background == "not_white"
    assert any(word in problem and "白色" in problem for problem in result.problems), result.problems


def test_slightly_off_white_still_passes() -> None:
    """A real studio white (245) is white enough."""
    assert check_photo(portrait(background=(245, 245, 243), noise=0.02)).ok


def test_too_big_file() -> None:
    """A file far above about 10 KB fails with its size and the tolerance."""
    data = portrait(noise=1.0, quality=100)
    assert len(data) / 1024 > MAX_KB
    result = check_photo(data)
    assert not result.ok
    message = next(problem for problem in result.problems if "照片大小" in problem)
    assert f"{MIN_KB}KB到{MAX_KB}KB" in message and "约10KB" in message
    assert result.background == "white"


def test_too_small_file() -> None:
    """A tiny, heavily compressed file fails the size check."""
    result = check_photo(portrait(quality=1))
    assert result.size_kb < MIN_KB
    assert any("照片大小" in problem for problem in result.problems)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 50, b"GIF89a"])
def test_garbage_never_raises(data: bytes) -> None:
    """Empty, text and truncated files give a plain message."""
    result = check_photo(data)
    assert not result.ok
    assert result.problems and all(problem for problem in result.problems)


def test_truncated_jpeg() -> None:
    """A JPEG cut in half does not raise."""
    data = portrait(noise=0.02)
    result = check_photo(data[: len(data) // 2])
    assert not result.ok


@settings(max_examples=50)
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise(data: bytes) -> None:
    """Arbitrary bytes never raise."""
    assert check_photo(data).ok is False
