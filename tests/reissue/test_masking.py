"""Tests of masking personal data."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reissue.masking import mask_id, mask_name, mask_openid, mask_phone, scrub

ID = "370102199003071238"


def test_mask_id() -> None:
    """First six and last four stay."""
    assert mask_id(ID) == "370102********1238"
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("123") == "***"
    assert mask_id("") == ""


def test_mask_phone() -> None:
    """First three and last four stay."""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("12") == "**"


def test_mask_name() -> None:
    """Only the first character stays; the minority-name dot stays."""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("阿依古丽·买买提") == "阿***·***"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


def test_scrub_masks_every_number() -> None:
    """IDs and phones in any form are masked; the rest of the text is unchanged."""
    text = (f"身份证{ID}，手机13812345678；又：370102 19900307 1238 和 138-1234-5678，"
            "+8613812345678，tel13812345678，11010519491231002x")
    result = scrub(text)
    assert ID not in result and "13812345678" not in result
    assert "19900307" not in result and "1234-5678" not in result and "49123100" not in result
    assert "身份证370102********1238，手机138****5678；" in result
    assert "+86138****5678" in result
    assert "110105********002x" in result


def test_scrub_keeps_other_text() -> None:
    """Dates, short numbers and Chinese text stay as they were."""
    text = "2015年5月考的一建，管理号051100，第3次"
    assert scrub(text) == text
    assert scrub(None) == "None"


@given(st.text())
def test_scrub_never_raises(text: str) -> None:
    """Arbitrary text never raises."""
    assert isinstance(scrub(text), str)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.text(alphabet="你好，。abc ", max_size=5))
def test_scrub_hides_any_phone(phone: str, filler: str) -> None:
    """No generated phone number survives scrubbing."""
    assert phone not in scrub(f"{filler}{phone}{filler}")


def test_mask_openid_hides_the_middle() -> None:
    """Only a short prefix and suffix survive; short or empty ids are masked too."""
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    masked = mask_openid(openid)
    assert masked == "oUpF***6o" and openid not in masked
    assert mask_openid("abc") == "ab***"
    assert mask_openid("") == "-" and mask_openid(None) == "-"
