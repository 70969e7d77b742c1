"""``PUT /api/v1/receipts/{local_no}`` as a kiosk calls it (a real hall-server process, the kiosk's
own client): a local receipt number is linked to its platform number once, a repeat is harmless,
another number for it is refused, only a kiosk may link, a refusal by the platform is kept
once (and may turn into a link), and the phone page of the local
number's QR then names the platform number."""

from __future__ import annotations

import pytest
import requests
from queue_helpers import ServerProcess

from queueing.client import HallClient, HallServiceError
from queueing.codes import HallCode
from queueing.hallconfig import load_credentials
from queueing.public_tokens import application_token

LOCAL = "SK01-20261202-00003"


def test_a_kiosk_links_a_local_number_once(server: ServerProcess) -> None:
    kiosk = HallClient(server.base_url, server.token("kiosk"))
    assert kiosk.link_receipt(LOCAL, "SG2026120200017") is True
    assert kiosk.link_receipt(LOCAL, "SG2026120200017") is False  # retried after a lost answer
    with pytest.raises(HallServiceError) as refused:
        kiosk.link_receipt(LOCAL, "SG2026120200018")  # nobody moves a printed QR onto another case
    assert refused.value.status == 409 and refused.value.rule is HallCode.RECEIPT_CONFLICT


@pytest.mark.parametrize(("local", "platform"), [
    ("SG2026120200017", "SG2026120200017"),  # not a local number
    ("sk01-20261202-00003", "SG1"),  # local numbers are upper case
    (LOCAL, "SK01-20261202-00004"),  # a local number is not the platform's
    (LOCAL, "SG<script>"),
])
def test_a_link_of_the_wrong_shape_is_refused(server: ServerProcess, local: str, platform: str) -> None:
    kiosk = HallClient(server.base_url, server.token("kiosk"))
    with pytest.raises(HallServiceError) as refused:
        kiosk.link_receipt(local, platform)
    assert refused.value.status == 422 and refused.value.rule is HallCode.INVALID_RECEIPT


@pytest.mark.parametrize("role", ["counter", "display"])
def test_only_a_kiosk_links_receipts(server: ServerProcess, role: str) -> None:
    with pytest.raises(HallServiceError) as refused:
        HallClient(server.base_url, server.token(role)).link_receipt(LOCAL, "SG2026120200017")
    assert refused.value.status == 403
    answer = requests.put(f"{server.base_url}/api/v1/receipts/{LOCAL}", json={"receipt_no": "SG1"}, timeout=5)
    assert answer.status_code == 401


def test_the_phone_page_of_a_linked_local_number_names_the_platform_number(server: ServerProcess) -> None:
    hall_key = load_credentials(server.data_dir)["hall_key"]
    page = f"{server.base_url}/a/{application_token(hall_key, LOCAL)}"
    before = requests.get(page, timeout=5).text
    assert LOCAL in before and "SG2026120200017" not in before
    HallClient(server.base_url, server.token("kiosk")).link_receipt(LOCAL, "SG2026120200017")
    after = requests.get(page, timeout=5).text
    assert "SG2026120200017" in after and "本机编号" in after and LOCAL in after


def test_a_refused_application_is_kept_once_and_may_be_accepted_later(server: ServerProcess) -> None:
    """The platform refused it (the kiosk dead-lettered it): the page sends the citizen to a counter,
    staff get one alert; a technician sends it again and the platform accepts it: the same kiosk
    links it and the page follows the platform's number."""
    kiosk = HallClient(server.base_url, server.token("kiosk"))
    hall_key = load_credentials(server.data_dir)["hall_key"]
    page = f"{server.base_url}/a/{application_token(hall_key, LOCAL)}"
    assert kiosk.report_rejected(LOCAL, "payload_mismatch") is True
    assert kiosk.report_rejected(LOCAL, "payload_mismatch") is False
    assert "未被平台受理" in requests.get(page, timeout=5).text
    alerts = HallClient(server.base_url, server.token("admin")).alerts()
    assert len([a for a in alerts if LOCAL in a["message"]]) == 1
    assert kiosk.link_receipt(LOCAL, "SG2026120200017") is True
    after = requests.get(page, timeout=5).text
    assert "SG2026120200017" in after and "未被平台受理" not in after
    with pytest.raises(HallServiceError) as refused:  # accepted is final
        kiosk.report_rejected(LOCAL, "conflict")
    assert refused.value.status == 409 and refused.value.rule is HallCode.RECEIPT_CONFLICT


@pytest.mark.parametrize("reason", ["Payload Mismatch", "x" * 65, "<b>"])
def test_a_refusal_reason_is_the_platforms_code(server: ServerProcess, reason: str) -> None:
    with pytest.raises(HallServiceError) as refused:
        HallClient(server.base_url, server.token("kiosk")).report_rejected(LOCAL, reason)
    assert refused.value.status == 422
