"""The submission on A4 (自助申报's receipt screen, a kiosk with an A4 printer): the filled
application form and the case receipt (受理回执) as PDFs (kiosk/documents.py) through the A4
printer, on the citizen's tap of 打印申请表和受理回执 — the thermal receipt is printed anyway.

What is printed is masked as on the screen and the thermal receipt (name, ID number, fields marked
``personal``); select answers are printed as the citizen read them (English paper: the English
option). Nothing is stored: the PDFs go to the printer and are dropped. One print per submission;
a refused one can be tried again from the same screen."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)


class A4Copy(StrEnum):
    """Where the A4 copies of one submission stand."""

    NONE = "none"        # not asked for
    PRINTED = "printed"
    FAILED = "failed"    # the printer refused or failed: the button stays for 再试一次


def offered(core: Any) -> bool:
    """The kiosk has an A4 printer configured (its state aside: a refusal is said after the tap)."""
    devices = core.devices
    return devices is not None and getattr(devices, "a4_printer", None) is not None


def print_submission(core: Any, flow: Any) -> A4Copy:
    """The form and the receipt of ``flow``'s submission (its outcome set) on the A4 printer."""
    from kiosk.delivery import delivery_paper
    from kiosk.documents import JOB_FORM, JOB_RECEIPT, Imprint, application_form_pdf, case_receipt_pdf
    from kiosk.forms import option_label

    if not offered(core) or flow.outcome is None or core.session.card is None:
        return A4Copy.FAILED
    item, outcome = flow.item, flow.outcome
    language = core.translator.language
    who = core.identity(core.session.card)
    values = {f.key: option_label(f, flow.form.values.get(f.key, ""), flow._shown) if f.options
              else flow.form.values.get(f.key, "") for f in item.form}
    owed = [flow._shown(m.name, m.name_en) for i, m in enumerate(item.materials) if flow.materials.get(i) == "owed"]
    imprint = Imprint(core.hall_name, core.kiosk_id)
    try:
        form = application_form_pdf(item, values, language, imprint, applicant_name=who.name,
                                    applicant_id=who.id_number)
        receipt = case_receipt_pdf(item, outcome.receipt_no or outcome.local_no, language, imprint,
                                   applicant_name=who.name, owed=owed, progress_url=outcome.qr_url or "",
                                   notices=delivery_paper(flow, language))   # 自取 / 邮寄, masked
        for pdf, job in ((form, JOB_FORM), (receipt, JOB_RECEIPT)):
            result = core.devices.print_a4(pdf, job)
            if not result.ok:
                log.warning("A4 copy not printed", extra={"ctx": {"service": item.id, "job": job,
                                                                  "reason": result.reason}})
                return A4Copy.FAILED
    except Exception:
        log.exception("A4 copy not printed", extra={"ctx": {"service": item.id}})
        return A4Copy.FAILED
    log.info("A4 copies printed", extra={"ctx": {"service": item.id}})
    return A4Copy.PRINTED
