import pytest

from flows.countries import harmonise


@pytest.mark.parametrize("text,iso3", [
    ("KSV", "XKX"), ("kosovo", "XKX"), ("WBG", "PSE"), ("palestine", "PSE"), ("Palestinian Territories", "PSE"),
    ("bosnia", "BIH"), ("macedonia", "MKD"), ("North Macedonia", "MKD"), ("Russia", "RUS"),
    ("United Kingdom", "GBR"), ("U.K.", "GBR"), ("the Netherlands", "NLD"), ("Türkiye", "TUR"),
    ("Saudi Arabia", "SAU"), ("AFG", "AFG"), ("FR", "FRA"), ("  new  zealand ", "NZL"),
])
def test_known_names_and_codes(text, iso3):
    assert harmonise(text).iso3 == iso3


def test_unknown_name_is_not_guessed_but_suggested():
    m = harmonise("Russai")
    assert m.iso3 is None
    assert "RUS" in m.suggestion and "did you mean" in m.reason


def test_unknown_code_is_not_guessed():
    assert harmonise("QQQ").iso3 is None
