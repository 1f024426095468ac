"""Certificate pages: a volunteer asks and downloads, organisers decide, anyone verifies."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core.db import begin_write
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import flash_domain_error, load_or_404, unit_of_work
from points_app.events.services import volunteer_for
from points_app.extensions import db
from points_app.recognition import certificates as services
from points_app.recognition.forms import CertificateRequestForm, ReasonForm
from points_app.recognition.models import Certificate, CertificateState
from points_app.recognition.pdf import certificate_pdf
from points_app.recognition.views import bp

P = Permission
S = CertificateState


def verify_url(certificate: Certificate) -> str:
    """The public page a certificate's QR code opens."""
    return url_for("recognition.verify", number=certificate.number, _external=True)


@bp.route("/me/certificates", methods=["GET", "POST"])
@login_required
def my_certificates() -> Any:
    volunteer = volunteer_for(current_user)
    form = CertificateRequestForm()
    if request.method == "GET":
        form.period_start.data = services.today().replace(month=1, day=1)
        form.period_end.data = services.today()
    elif form.validate_on_submit():
        assert form.period_start.data is not None and form.period_end.data is not None
        try:
            with unit_of_work():
                certificate = services.request_certificate(
                    volunteer,
                    period_start=form.period_start.data,
                    period_end=form.period_end.data,
                    actor=current_user,
                )
        except DomainError as error:
            form.period_start.errors = [error.message]
        else:
            if certificate.state is S.issued:
                flash(_("Your certificate is ready."), "success")
            else:
                flash(_("Asked for: the community will issue it."), "success")
            return redirect(url_for("recognition.my_certificates"))
    return render_template(
        "recognition/my_certificates.html",
        form=form,
        certificates=services.certificates_of(volunteer),
        hours=services.hours,
    )


def _may_see(certificate: Certificate) -> bool:
    own = certificate.volunteer.user_id is not None and (
        certificate.volunteer.user_id == getattr(current_user, "id", None)
    )
    return own or can(current_user, P.approve_attendance, certificate.community)


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_file(certificate_id: int) -> Any:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not _may_see(certificate) or certificate.state is not S.issued:
        abort(404)
    response = make_response(certificate_pdf(certificate, verify_url(certificate)))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.number}.pdf"'
    )
    return response


@bp.route("/certificates")
@login_required
def certificates() -> Any:
    if not can(current_user, P.approve_attendance):
        abort(403)
    return render_template(
        "recognition/certificates.html",
        waiting=services.certificates_for(current_user, S.requested),
        issued=services.certificates_for(current_user, S.issued),
        form=ReasonForm(),
        hours=services.hours,
    )


@bp.route(
    "/certificates/<int:certificate_id>/<any(issue, decline, revoke):action>", methods=["POST"]
)
@login_required
def decide_certificate(certificate_id: int, action: str) -> Any:
    certificate = load_or_404(Certificate, certificate_id, P.approve_attendance)
    to = {"issue": S.issued, "decline": S.declined, "revoke": S.revoked}[action]
    form = ReasonForm()
    try:
        with unit_of_work():
            services.transition_certificate(
                certificate, to, actor=current_user, reason=form.reason.data or ""
            )
    except DomainError as error:
        flash_domain_error(error)
    else:
        done = {
            S.issued: _("Certificate issued."),
            S.declined: _("Certificate declined."),
            S.revoked: _("Certificate revoked."),
        }
        flash(done[to], "success")
    return redirect(request.referrer or url_for("recognition.certificates"))


@bp.route("/verify", defaults={"number": ""})
@bp.route("/verify/<string:number>")
def verify(number: str) -> Any:
    number = (number or request.args.get("number", "")).strip()
    certificate = None
    if number:
        # The count is committed before the look-up, whatever the page then does; the
        # transaction writes from its first statement (BEGIN IMMEDIATE on SQLite).
        db.session.commit()  # end this page's read transaction, then write from the start
        begin_write()
        services.count_lookup(db.session.connection(), request.remote_addr or "")
        db.session.commit()
        certificate = services.find_certificate(number)
    response = make_response(
        render_template(
            "recognition/verify.html",
            number=number[:32],
            certificate=certificate,
            hours=services.hours,
        )
    )
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response
