"""Service guide search: characters or pinyin initials (社保 or sb), best matches first."""

import pytest

from kiosk.catalogue import load_sample_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_sample_catalogue()


def test_sample_catalogue_has_zones_services_and_self_service_items(catalogue) -> None:
    assert {z.name for z in catalogue.zones} >= {"人社医保服务区", "不动产登记交易区", "公安业务板块", "综合受理板块"}
    assert catalogue.service("S0101").name == "社会保障卡申领"
    assert all(s.form for s in catalogue.self_service_items())
    assert len(catalogue.zones) <= 8 and len(catalogue.themes) <= 8


@pytest.mark.parametrize("query", ["社保", "sb", "SB", "shbz"])
def test_shebao_finds_social_security_card(catalogue, query: str) -> None:
    names = [s.name for s in catalogue.search(query)]
    assert "社会保障卡申领" in names


def test_characters_rank_before_loose_matches(catalogue) -> None:
    results = catalogue.search("公积金")
    assert results[0].id == "S0403"
    assert catalogue.search("gjj")[0].id == "S0403"


def test_nonsense_finds_nothing(catalogue) -> None:
    assert catalogue.search("量子计算") == []
    assert catalogue.search("") == []
    assert catalogue.search("   ") == []
