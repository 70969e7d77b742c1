"""一件事 bundles and 通办 flags as the catalogue parser reads them (kiosk/bundles.py): the merged
form and material list, a bundle naming a missing item, and a platform's catalogue from before
bundles and flags, which must read as it always did."""

from __future__ import annotations

import copy
from typing import Any

from kiosk.bundles import TongbanScope, submission_fields, tongban_line
from kiosk.catalogue import parse_catalogue
from offline_cache.pulls import load_sample_catalogue


def _old(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample as a platform from before bundles and 通办 serves it."""
    old = copy.deepcopy(sample)
    old.pop("bundles")
    for service in old["services"]:
        service.pop("tongban", None)
    return old


def test_an_old_catalogue_without_bundles_or_flags_still_loads() -> None:
    sample = load_sample_catalogue()
    old, new = parse_catalogue(_old(sample)), parse_catalogue(sample)
    assert [s.id for s in old.services] == [s["id"] for s in sample["services"]]
    assert all(not s.members and not s.tongban for s in old.services)
    assert old.service("S0101") == new.service("S0101").__class__(  # the same item but for its flag
        **{**new.service("S0101").__dict__, "tongban": ()})
    assert old.search("chenzhou") == [] and tongban_line(old.service("S0104"), "zh_CN") == ""


def test_a_bundle_merges_its_items_fields_and_materials_without_duplicates() -> None:
    cat = parse_catalogue(load_sample_catalogue())
    bundle = cat.service("B0101")
    assert bundle is not None and bundle.self_service and bundle.members == ("S0601", "S0305", "S0106", "S0101")
    keys = [f.key for f in bundle.form]
    assert keys == ["birth_date", "hospital", "phone", "baby_name", "relation", "address", "bank"]
    names = [m.name for m in bundle.materials]
    assert len(names) == len(set(names)) == 5
    hukou = next(m for m in bundle.materials if m.name == "户口簿")
    assert hukou.tolerable and not hukou.core  # every item asking for it tolerates it
    assert next(m for m in bundle.materials if m.id == "id_card").core
    assert bundle in cat.in_zone("bundle") and cat.search("一件事")  # one entry of the guide
    fields = submission_fields(cat, bundle, {0: "card", 2: "owed"})
    assert [i["service_id"] for i in fields["bundle_items"]] == list(bundle.members)
    social_card = fields["bundle_items"][3]["materials"]
    assert [m["status"] for m in social_card] == ["card", "missing", "owed"]
    assert submission_fields(cat, cat.service("S0101"), {}) == {}  # a plain item adds nothing


def test_merging_keeps_the_strictest_need() -> None:
    data = load_sample_catalogue()
    data["services"][0]["materials"][2]["tolerable"] = False  # 户口簿 no longer 容缺 for S0101 ...
    data["services"][0]["materials"][2]["core"] = True        # ... but core
    data["services"][0]["form"][1]["required"] = True         # and 联系地址 required
    bundle = parse_catalogue(data).service("B0101")
    assert bundle is not None
    hukou = next(m for m in bundle.materials if m.name == "户口簿")
    assert hukou.core and not hukou.tolerable
    assert next(f for f in bundle.form if f.key == "address").required


def test_a_bundle_naming_a_missing_item_is_left_out() -> None:
    data = load_sample_catalogue()
    data["bundles"].append({"id": "B9", "name": "缺项一件事", "members": ["S0101", "S9999"]})
    cat = parse_catalogue(data)
    assert cat.service("B9") is None and cat.service("B0101") is not None


def test_tongban_flags_read_and_tell_the_localities() -> None:
    data = load_sample_catalogue()
    data["services"][1]["tongban"] = [{"scope": "galaxy", "localities": ["火星"]},
                                      {"scope": "province", "localities": ["广东省"]},
                                      {"scope": "city", "localities": []}]
    cat = parse_catalogue(data)
    item = cat.service(data["services"][1]["id"])
    assert item is not None and [f.scope for f in item.tongban] == [TongbanScope.PROVINCE]
    assert tongban_line(item, "zh_CN") == "本事项可在本厅办理：广东省全省通办"
    assert tongban_line(cat.service("S0104"), "en") == (
        "This item can be handled in this hall: Shaoguan (city-wide); "
        "Chenzhou, Hunan / Ganzhou, Jiangxi (across provinces)")
    assert [s.id for s in cat.search("郴州")] == ["S0104"] and cat.search("chenzhou")[0].id == "S0104"
