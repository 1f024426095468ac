"""Service certificates (志愿服务记录证明): approved service only, a PDF that says the
hours and number, a QR code to the verification page, revocation, forged numbers."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
import zxingcpp
from PIL import Image

from points_app.core.clock import local_date
from points_app.core.errors import DomainError
from points_app.events import services as events
from points_app.extensions import db
from points_app.recognition import certificates
from points_app.recognition.models import Certificate, CertificateState
from points_app.recognition.settings import save_settings

S = CertificateState


@pytest.fixture
def served(make_event: Any, people: Any, serve: Any, now: dt.datetime) -> Any:
    """The volunteer served 90 minutes (approved); a second attendance is rejected."""
    serve(make_event(title="清扫楼道"), people["v"], 90, now)
    other = make_event(title="敬老院探访")
    events.check_in(other, people["v"], actor=None, now=now)
    attendance = events.check_out(other, people["v"], actor=None, now=now + dt.timedelta(hours=2))
    events.reject_attendance(attendance, "not there", actor=people["organiser"], now=now)
    db.session.commit()
    return people["v"]


def _ask(people: Any, now: dt.datetime, **period: dt.date) -> Certificate:
    today = local_date(now)
    certificate = certificates.request_certificate(
        people["v"],
        period_start=period.get("start", today - dt.timedelta(days=30)),
        period_end=period.get("end", today),
        actor=people["vol_user"],
    )
    db.session.commit()
    return certificate


def test_certificate_counts_approved_service_only(served: Any, people: Any, now: Any) -> None:
    certificate = _ask(people, now)
    assert certificate.state is S.requested and certificate.number is None
    certificates.transition_certificate(certificate, S.issued, actor=people["organiser"])
    db.session.commit()
    assert certificate.minutes == 90
    assert [line.event_title for line in certificate.lines] == ["清扫楼道"]
    assert certificate.number and certificate.number.startswith("ZY")


def test_period_without_approved_service_is_refused(served: Any, people: Any, now: Any) -> None:
    with pytest.raises(DomainError) as refused:
        _ask(people, now, start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31))
    assert refused.value.code == "no_service"


def test_someone_else_cannot_ask_for_my_certificate(served: Any, people: Any, now: Any) -> None:
    with pytest.raises(DomainError) as refused:
        certificates.request_certificate(
            people["v"], period_start=local_date(now), period_end=local_date(now),
            actor=people["other_user"],
        )  # fmt: skip
    assert refused.value.code == "forbidden"


def test_community_can_issue_certificates_at_once(
    served: Any, people: Any, now: Any, tree: Any
) -> None:
    save_settings(
        tree["community_a"], actor=people["committee"], notice_days=0, certificates_at_once=True
    )
    db.session.commit()
    assert _ask(people, now).state is S.issued


def test_revoking_needs_a_reason_and_a_revoked_certificate_still_verifies_as_revoked(
    served: Any, people: Any, now: Any
) -> None:
    certificate = _ask(people, now)
    certificates.transition_certificate(certificate, S.issued, actor=people["organiser"])
    with pytest.raises(DomainError) as refused:
        certificates.transition_certificate(certificate, S.revoked, actor=people["committee"])
    assert refused.value.code == "reason_required"
    certificates.transition_certificate(
        certificate, S.revoked, actor=people["committee"], reason="时长有误"
    )
    db.session.commit()
    found = certificates.find_certificate(certificate.number or "")
    assert found is not None and found.state is S.revoked


def _issued(people: Any, now: Any) -> Certificate:
    certificate = _ask(people, now)
    certificates.transition_certificate(certificate, S.issued, actor=people["organiser"])
    db.session.commit()
    assert certificate.number is not None
    # Reading the expired attributes began a (SQLite: writing) transaction outside any
    # request; end it, as the test's requests share this session.
    db.session.rollback()
    return certificate


def test_pdf_states_hours_and_number_and_its_qr_opens_the_verification_page(
    served: Any, people: Any, now: Any, client: Any, sign_in_as: Any
) -> None:
    certificate = _issued(people, now)
    sign_in_as(people["vol_user"])
    response = client.get(f"/recognition/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert certificate.number in text
    assert "1.5" in text  # 90 minutes
    assert "张伟" in text
    images = [image for page in reader.pages for image in page.images]
    assert images, "the PDF carries the QR code as an image"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))
    url = f"http://localhost/recognition/verify/{certificate.number}"
    assert [code.text for code in decoded] == [url]

    number = certificate.number
    db.session.rollback()  # the test's reads began a writing transaction (SQLite)
    client.get("/lang/en")
    page = client.get(url.removeprefix("http://localhost"))
    body = page.get_data(as_text=True)
    assert 'data-status="genuine"' in body
    assert "张*" in body and "张伟" not in body
    assert "1.5" in body and number in body
    assert "13900000001" not in body and "清扫楼道" not in body  # nothing else


def test_certificate_file_is_refused_to_other_volunteers(
    served: Any, people: Any, now: Any, client: Any, sign_in_as: Any
) -> None:
    certificate = _issued(people, now)
    sign_in_as(people["other_user"])
    assert client.get(f"/recognition/certificates/{certificate.id}.pdf").status_code == 404


def test_forged_number_is_said_plainly_and_revoked_shows_revoked(
    served: Any, people: Any, now: Any, client: Any
) -> None:
    certificate = _issued(people, now)
    db.session.rollback()
    forged = client.get("/recognition/verify/ZY2026-AAAAAAAAAA").get_data(as_text=True)
    assert 'data-status="unknown"' in forged and "张" not in forged
    requested = _ask(people, now)  # asked for, not issued: unknown too
    assert requested.number is None
    certificates.transition_certificate(
        certificate, S.revoked, actor=people["committee"], reason="时长有误"
    )
    db.session.commit()
    number = certificate.number
    db.session.rollback()
    body = client.get(f"/recognition/verify/{number}").get_data(as_text=True)
    assert 'data-status="revoked"' in body and "时长有误" not in body


def test_verification_page_is_rate_limited_per_address(app: Any, client: Any) -> None:
    app.config["VERIFY_MAX_PER_WINDOW"] = 3
    codes = [client.get(f"/recognition/verify/ZY2026-{n:010d}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_organiser_issues_and_revokes_from_the_certificates_page(
    served: Any, people: Any, now: Any, client: Any, sign_in_as: Any
) -> None:
    certificate_id = _ask(people, now).id
    db.session.rollback()
    sign_in_as(people["organiser"])
    page = client.get("/recognition/certificates").get_data(as_text=True)
    assert "张伟" in page
    client.post(f"/recognition/certificates/{certificate_id}/issue")
    client.post(f"/recognition/certificates/{certificate_id}/revoke", data={"reason": ""})
    certificate = db.session.get(Certificate, certificate_id)
    assert certificate is not None and certificate.state is S.issued  # no reason: refused
    db.session.rollback()
    client.post(f"/recognition/certificates/{certificate_id}/revoke", data={"reason": "有误"})
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate_id)
    assert certificate is not None and certificate.state is S.revoked
    db.session.rollback()
    sign_in_as(people["other_user"])
    assert client.get("/recognition/certificates").status_code == 403


def test_verification_limit_lifts_after_the_window(app: Any, client: Any) -> None:
    import time_machine

    app.config["VERIFY_MAX_PER_WINDOW"] = 2
    start = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        codes = [client.get("/recognition/verify/ZY2027-2222222222").status_code for _ in "abc"]
    assert codes == [200, 200, 429]
    with time_machine.travel(start + certificates.VERIFY_WINDOW, tick=False):
        assert client.get("/recognition/verify/ZY2027-2222222222").status_code == 200
