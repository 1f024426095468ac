"""Recording an issue: the quick form, masking of the resident, photos and bad uploads."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from points_app.areas.models import Area
from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import photos
from points_app.issues.models import Issue, IssueChannel, IssuePhoto, IssueState
from points_app.issues.services import raise_issue
from tests.issues.conftest import image_bytes


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_raising_records_the_first_timeline_row(clock, people, tree):
    issue = raise_issue(
        actor=people["grid"], area=tree["micro_a"], title=" 路灯不亮 ",
        category="public_services", channel="hotline",
    )  # fmt: skip
    db.session.commit()
    assert issue.title == "路灯不亮"
    assert issue.state is IssueState.raised
    assert issue.channel is IssueChannel.hotline
    assert issue.created_at == clock.now
    assert [(e.from_state, e.to_state) for e in issue.events] == [(None, IssueState.raised)]


def test_issues_are_raised_at_community_level_or_below(people, tree):
    with pytest.raises(DomainError) as refused:
        raise_issue(actor=people["street"], area=tree["street"], title="x", category="other")
    assert refused.value.code == "invalid_area"


def test_raising_outside_ones_area_is_forbidden(people, tree):
    with pytest.raises(DomainError) as refused:
        raise_issue(actor=people["grid"], area=tree["grid_b"], title="x", category="other")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "   ", "title_required"),
        ("category", "weather", "invalid_category"),
        ("channel", "pigeon", "invalid_channel"),
        ("resident_phone", "call me", "invalid_phone"),
    ],
)
def test_bad_fields_are_refused(people, tree, field, value, code):
    values = {"actor": people["grid"], "area": tree["grid_a"], "title": "x", "category": "other"}
    values[field] = value
    with pytest.raises(DomainError) as refused:
        raise_issue(**values)
    assert refused.value.code == code


def test_the_resident_is_masked_by_default(client, login_as, new_issue, people):
    issue = new_issue(resident_name="张三丰", resident_phone="13812345678")
    assert issue.masked_resident_name == "张**"
    assert issue.masked_resident_phone == "138****5678"
    page = login_as(people["organiser"]).get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "张**" in page and "138****5678" in page
    assert "张三丰" not in page and "13812345678" not in page


def test_a_handler_can_reveal_the_contact_and_it_is_audited(client, login_as, new_issue, people):
    issue = new_issue()
    response = login_as(people["organiser"]).post(f"/issues/{issue.id}/contact")
    page = response.get_data(as_text=True)
    assert "张三丰" in page and "13812345678" in page
    audit = select(AuditEntry).where(AuditEntry.action == "issue.reveal_contact")
    entry = db.session.scalars(audit).one()
    assert entry.actor_id == people["organiser"].id and entry.object_id == issue.id


def test_the_anonymous_flag_is_kept(new_issue):
    issue = new_issue(is_anonymous=True)
    assert issue.is_anonymous


# --- photos -------------------------------------------------------------------------------


def test_a_real_photo_is_checked_reencoded_and_stored(app, people, tree, photo_dir):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make; GPS would be stripped the same way
    prepared = photos.prepare_photo(io.BytesIO(image_bytes("JPEG", exif=exif.tobytes())))
    assert prepared.content_type == "image/jpeg"
    assert (prepared.width, prepared.height) == (40, 30)
    assert not Image.open(io.BytesIO(prepared.data)).getexif()
    issue = raise_issue(
        actor=people["grid"], area=tree["grid_a"], title="x", category="other", photos=[prepared]
    )
    db.session.commit()
    assert not photo_dir.exists() or not any(photo_dir.iterdir())  # nothing before the commit
    photos.write_photo_files([prepared])
    stored = photo_dir / issue.photos[0].filename
    assert stored.read_bytes() == prepared.data
    assert len(issue.photos[0].filename) == 36  # random hex name and extension


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a not really",
        b"%PDF-1.4 pretend",
        image_bytes("JPEG")[:60],  # truncated
        image_bytes("GIF"),  # a real image, but not a format we take
    ],
    ids=["empty", "fake-gif", "pdf", "truncated-jpeg", "gif"],
)
def test_an_upload_that_is_not_a_photo_is_refused(app, data):
    with pytest.raises(DomainError) as refused:
        photos.prepare_photo(io.BytesIO(data))
    assert refused.value.code == "not_an_image"


def test_a_photo_over_the_limit_is_refused(app):
    app.config["ISSUE_PHOTO_MAX_BYTES"] = 1000
    with pytest.raises(DomainError) as refused:
        photos.prepare_photo(io.BytesIO(image_bytes("PNG", size=(300, 300), noisy=True)))
    assert refused.value.code == "photo_too_large"


def test_a_decompression_bomb_is_refused(app):
    with pytest.raises(DomainError) as refused:
        photos.prepare_photo(io.BytesIO(image_bytes("PNG", size=(8000, 6000))))
    assert refused.value.code == "not_an_image"


def test_the_quick_form_refuses_a_bad_upload_and_stores_nothing(
    client, login_as, people, tree, photo_dir
):
    login_as(people["grid"])
    response = client.post(
        "/issues/new",
        data={
            "title": "垃圾桶满了", "category": "environment", "area_id": tree["grid_a"].id,
            "channel": "grid_visit", "resident_name": "李四",
            "photo": (io.BytesIO(b"MZ\x90\x00 an exe"), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not a photo" in page
    assert 'value="垃圾桶满了"' in page and 'value="李四"' in page  # the input is kept
    assert _count(Issue) == 0 and _count(IssuePhoto) == 0
    assert not photo_dir.exists() or not any(photo_dir.iterdir())


def test_the_quick_form_records_an_issue_with_a_photo(client, login_as, people, tree, photo_dir):
    login_as(people["grid"])
    form = client.get("/issues/new").get_data(as_text=True)
    assert f'<option selected value="{tree["grid_a"].id}">' in form  # the worker's grid first
    response = client.post(
        "/issues/new",
        data={
            "title": "垃圾桶满了", "category": "environment", "area_id": tree["grid_a"].id,
            "channel": "grid_visit", "description": "三号楼下",
            "photo": (io.BytesIO(image_bytes("PNG")), "p.png"),
        },
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    issue = db.session.scalars(select(Issue)).one()
    assert issue.raised_by_id == people["grid"].id
    assert [p.content_type for p in issue.photos] == ["image/png"]
    assert (photo_dir / issue.photos[0].filename).is_file()
    with client.get(f"/issues/{issue.id}/photos/{issue.photos[0].id}") as served:
        assert served.status_code == 200
        assert served.mimetype == "image/png"
        assert "no-store" in served.headers["Cache-Control"]
        assert served.get_data() == (photo_dir / issue.photos[0].filename).read_bytes()


def test_adding_a_photo_to_an_issue(client, login_as, people, new_issue, photo_dir):
    issue = new_issue()
    login_as(people["organiser"])
    response = client.post(
        f"/issues/{issue.id}/photos",
        data={"photo": (io.BytesIO(image_bytes("JPEG")), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Issue, issue.id).photos) == 1
    bad = client.post(
        f"/issues/{issue.id}/photos",
        data={"photo": (io.BytesIO(b"plain text"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "not a photo" in bad.get_data(as_text=True)
    assert len(list(photo_dir.iterdir())) == 1


def test_photo_count_is_limited(people, new_issue):
    from points_app.issues.services import add_photos

    issue = new_issue()
    prepared = [photos.prepare_photo(image_bytes()) for _ in range(photos.MAX_PHOTOS_PER_ISSUE)]
    add_photos(issue, prepared, actor=people["grid"])
    with pytest.raises(DomainError) as refused:
        add_photos(issue, [photos.prepare_photo(image_bytes())], actor=people["grid"])
    assert refused.value.code == "too_many_photos"


def test_areas_listed_on_the_quick_form_are_the_workers_own(client, login_as, people, tree):
    page = login_as(people["grid"]).get("/issues/new").get_data(as_text=True)
    assert tree["grid_a"].name in page and tree["micro_a"].name in page
    assert tree["grid_b"].name not in page
    assert db.session.get(Area, tree["grid_a"].id) is not None
