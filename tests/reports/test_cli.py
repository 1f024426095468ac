"""`flask report figures` and `flask report export`."""

from __future__ import annotations

import csv
import json
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from points_app.core.audit import AuditEntry
from points_app.extensions import db
from tests.reports.conftest import EXPECTED_MARCH

MARCH = ["--from", "2026-03-01", "--to", "2026-03-31"]


def _read_csv(path: Any) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_figures_json_is_one_object_with_a_key_per_figure(runner: Any, march: Any) -> None:
    result = runner.invoke(args=["report", "figures", "--area", "S", *MARCH, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("party_members_reporting", "volunteer_teams_active", "units_active",
                "talk_sessions", "issues_raised", "issues_resolved", "disputes_mediated",
                "legal_talks", "legal_problems_solved", "venture_projects_claimed",
                "welfare_days", "people_served", "volunteers_active", "points_issued"):  # fmt: skip
        assert data[key] == EXPECTED_MARCH["a"][key] + EXPECTED_MARCH["b"][key], key
    assert data["average_satisfaction"] == 4.5
    assert data["volunteer_hours"] == round(315 / 60, 1)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--area", "NOPE"], "no area"),
        (["--area", "S", "--from", "2026-13-01"], "not a date"),
        (["--area", "S", "--from", "2026-03-02", "--to", "2026-03-01"], "before"),
        (["--area", "S", "--from", "2010-01-01", "--to", "2026-01-01"], "10 years"),
        (["--area", "S-a-g"], "community or above"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    runner: Any, tree: Any, args: list[str], words: str
) -> None:
    result = runner.invoke(args=["report", "figures", *args, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_export_xlsx_writes_the_rows_and_an_audit_entry(
    runner: Any, march: Any, tmp_path: Any
) -> None:
    out = tmp_path / "hours.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "export",
            "volunteers",
            "--area",
            "S",
            *MARCH,
            "--format",
            "xlsx",
            "--output",
            str(out),
            "--lang",
            "en",
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    assert rows[0][:2] == ("Community", "Name")
    assert sorted((r[1], r[5]) for r in rows[1:]) == sorted(
        [("志愿者乙", 1.5), ("党员丙", 0.8), ("党员甲", 3.0)]
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).one()
    assert entry.detail["rows"] == 3 and entry.detail["kind"] == "volunteers"
    assert entry.detail["from"] == "2026-03-01" and entry.detail["unmasked"] is False


def test_export_masks_personal_data_unless_unmasked(runner: Any, march: Any, tmp_path: Any) -> None:
    out = tmp_path / "r.csv"
    base = ["report", "export", "redemptions", "--area", "S", *MARCH, "--output", str(out)]
    assert runner.invoke(args=base).exit_code == 0
    rows = _read_csv(out)
    assert rows[0][1] == "社区"  # Chinese headers by default
    assert [r[4] for r in rows[1:]] == ["王*"]
    assert runner.invoke(args=[*base, "--unmasked"]).exit_code == 0
    rows = _read_csv(out)
    assert [r[4] for r in rows[1:]] == ["王英"]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "report.export").order_by(AuditEntry.id)
    )
    assert [e.detail["unmasked"] for e in entries] == [False, True]


def test_issue_export_carries_each_issues_timeline(runner: Any, march: Any, tmp_path: Any) -> None:
    from points_app.issues.models import IssueEvent, IssueState

    i1 = march["issues"][0]
    db.session.add_all([
        IssueEvent(issue_id=i1.id, from_state=None, to_state=IssueState.raised, note="记录"),
        IssueEvent(issue_id=i1.id, from_state=IssueState.raised, to_state=IssueState.closed),
    ])  # fmt: skip
    db.session.commit()
    out = tmp_path / "issues.csv"
    args = ["report", "export", "issues", "--area", "C", *MARCH, "--output", str(out),
            "--lang", "en"]  # fmt: skip
    assert runner.invoke(args=args).exit_code == 0
    rows = {r[0]: r for r in _read_csv(out)}
    assert "Raised (记录)" in rows[str(i1.id)][-1] and "→ Closed" in rows[str(i1.id)][-1]
    assert len(rows) == 1 + 3
