"""Every form, rendered in Chinese, has Chinese labels, hints and choices: none is left in
English, and none is frozen in the language the process had when the module was imported."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField
from wtforms.fields import Field

import points_app

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _form_classes() -> Iterator[type[FlaskForm]]:
    for info in pkgutil.walk_packages(points_app.__path__, "points_app."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                yield cls


def _fields(form: Any) -> Iterator[Field]:
    """Every field a page may show, inside lists and sub-forms too."""
    for field in form:
        if isinstance(field, HiddenField) or field.type == "CSRFTokenField":
            continue
        yield field
        if isinstance(field, FieldList):
            for entry in field:
                yield from _fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _fields(field.form)


def _texts(field: Field) -> Iterator[tuple[str, str]]:
    yield "label", str(field.label.text)
    if field.description:
        yield "description", str(field.description)
    for choice in getattr(field, "choices", None) or []:
        if isinstance(choice, tuple | list) and len(choice) >= 2:
            yield f"choice {choice[0]!r}", str(choice[1])


def _is_english(text: str) -> bool:
    return bool(LATIN_WORD.search(text)) and not CJK.search(text)


def _untranslated(app: Any) -> list[str]:
    found = []
    with app.test_request_context("/?lang=zh"), force_locale("zh"):
        for cls in _form_classes():
            form: Any = cls(formdata=None, meta={"csrf": False})
            if hasattr(form, "fill_choices"):
                # Forms whose choices come from the caller (areas, say) get none here.
                wanted = inspect.signature(form.fill_choices).parameters
                form.fill_choices(*([] for _ in wanted))
            for field in _fields(form):
                for what, text in _texts(field):
                    if _is_english(text):
                        found.append(f"{cls.__name__}.{field.name} {what}: {text!r}")
    return found


def test_every_form_renders_its_labels_and_choices_in_chinese(app):
    # Build the forms once in English first, as a process that imported them under
    # another language would: nothing may stay frozen in that language.
    with app.test_request_context("/?lang=en"), force_locale("en"):
        for cls in _form_classes():
            cls(formdata=None, meta={"csrf": False})
    untranslated = _untranslated(app)
    assert not untranslated, "\n".join(untranslated)


def test_the_check_finds_a_label_left_in_english(app):
    from flask_babel import lazy_gettext
    from wtforms import SelectField

    class Probe(FlaskForm):
        kind = SelectField(lazy_gettext("Kind"), choices=[("x", "Not translated at all")])

    with app.test_request_context("/?lang=zh"), force_locale("zh"):
        form = Probe(formdata=None, meta={"csrf": False})
        texts = dict(_texts(form.kind))
    assert not _is_english(texts["label"])
    assert _is_english(texts["choice 'x'"])


def test_things_have_a_name_and_people_a_personal_name_in_chinese(app):
    from points_app.areas.forms import AreaForm
    from points_app.people.forms import OrganisationForm, VolunteerForm
    from points_app.store.forms import ProductForm, StoreForm

    with app.test_request_context("/?lang=zh"), force_locale("zh"):
        things = [ProductForm, StoreForm, AreaForm, OrganisationForm]
        labels = {cls.__name__: str(cls(formdata=None).name.label.text) for cls in things}
        person = str(VolunteerForm(formdata=None).real_name.label.text)
    assert set(labels.values()) == {"名称"}, labels
    assert person == "姓名"
