"""The certificate as an A4 PDF (ReportLab), Chinese set in the built-in CID font
STSong-Light (no font file needed), with a QR code to the public verification page."""

from __future__ import annotations

import io

import qrcode
from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from points_app.core.clock import local_date
from points_app.recognition.certificates import hours
from points_app.recognition.models import Certificate
from points_app.recognition.settings import settings_for

FONT = "STSong-Light"
LINES_PER_PAGE = 22


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _qr_image(url: str) -> ImageReader:
    image = qrcode.make(url, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Split text into lines no wider than `width`, by characters (CJK has no spaces)."""
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """Render an issued (or revoked) certificate as PDF bytes."""
    assert certificate.number is not None and certificate.issued_at is not None
    font = _font()
    volunteer = certificate.volunteer
    community = certificate.community
    contact = settings_for(community).contact
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Volunteer service record certificate") + " " + certificate.number)
    width, height = A4
    left, right = 22 * mm, width - 22 * mm

    def header() -> float:
        pdf.setFont(font, 22)
        pdf.drawCentredString(
            width / 2, height - 35 * mm, _("Volunteer service record certificate")
        )
        pdf.setFont(font, 10)
        pdf.drawRightString(right, height - 45 * mm, _("No. %(n)s", n=certificate.number))
        return height - 60 * mm

    y = header()
    body = _(
        "This certifies that %(name)s (phone %(phone)s) served as a volunteer from %(start)s "
        "to %(end)s, for %(hours)s hours in total, as recorded below.",
        name=volunteer.real_name,
        phone=volunteer.masked_phone,
        start=format_date(certificate.period_start, "long"),
        end=format_date(certificate.period_end, "long"),
        hours=hours(certificate.minutes),
    )
    pdf.setFont(font, 13)
    for line in _wrap(body, font, 13, right - left):
        pdf.drawString(left, y, line)
        y -= 8 * mm
    y -= 4 * mm
    pdf.setFont(font, 11)
    columns = (left, left + 32 * mm, right - 20 * mm)
    titles = (_("Date"), _("Service"), _("Hours"))

    def table_head(at: float) -> float:
        for x, title in zip(columns, titles, strict=True):
            pdf.drawString(x, at, title)
        pdf.line(left, at - 2 * mm, right, at - 2 * mm)
        return at - 8 * mm

    y = table_head(y)
    for n, entry in enumerate(certificate.lines):
        if n and n % LINES_PER_PAGE == 0:
            pdf.showPage()
            y = table_head(header())
            pdf.setFont(font, 11)
        pdf.drawString(columns[0], y, format_date(entry.served_on, "yyyy-MM-dd"))
        pdf.drawString(columns[1], y, entry.event_title[:30])
        pdf.drawString(columns[2], y, hours(entry.minutes))
        y -= 7 * mm
    pdf.line(left, y + 4 * mm, right, y + 4 * mm)
    pdf.drawString(columns[1], y - 1 * mm, _("Total"))
    pdf.drawString(columns[2], y - 1 * mm, hours(certificate.minutes))

    # The issuer block and the QR code sit at the foot of the last page.
    pdf.setFont(font, 12)
    foot = 50 * mm
    pdf.drawString(left, foot + 18 * mm, _("Issued by: %(community)s", community=community.name))
    if contact:
        pdf.drawString(left, foot + 10 * mm, _("Contact: %(contact)s", contact=contact))
    pdf.drawString(
        left,
        foot + 2 * mm,
        _("Date of issue: %(date)s", date=format_date(local_date(certificate.issued_at), "long")),
    )
    pdf.setFont(font, 9)
    pdf.drawString(left, foot - 8 * mm, _("Scan the code to check this certificate:"))
    pdf.drawString(left, foot - 13 * mm, verify_url)
    size = 36 * mm
    pdf.drawImage(_qr_image(verify_url), right - size, foot - 16 * mm, size, size)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
