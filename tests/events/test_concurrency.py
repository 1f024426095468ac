"""Many phones checking in at once: every check-in recorded exactly once.

Real threads, each with its own app context (so its own session and connection), released
together by a barrier. Runs on SQLite and, under .ci/with-postgres, on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from points_app.core.errors import DomainError
from points_app.events import services
from points_app.events.models import Attendance, Event
from points_app.extensions import db
from points_app.people.models import Volunteer


def _run_at_once(app: Any, jobs: list[Any]) -> Counter[str]:
    """Run each job in its own thread and app context, all starting together."""
    barrier = threading.Barrier(len(jobs))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(job: Any) -> None:
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                job()
                db.session.commit()
                result = "ok"
            except DomainError as error:
                db.session.rollback()
                result = error.code
            except Exception as error:  # noqa: BLE001 - counted and reported below
                db.session.rollback()
                result = f"crash: {type(error).__name__}: {error}"
            finally:
                db.session.remove()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def _check_in_job(event_id: int, volunteer_id: int, now: Any) -> Any:
    def job() -> None:
        event = db.session.get(Event, event_id)
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert event is not None and volunteer is not None
        services.check_in(event, volunteer, actor=None, now=now)

    return job


def _attendances(event_id: int) -> int:
    stmt = select(func.count(Attendance.id)).where(Attendance.event_id == event_id)
    return db.session.scalar(stmt) or 0


def test_200_volunteers_checking_in_at_once_are_all_recorded_once(app, tree, event, now):
    volunteers = [
        Volunteer(
            real_name=f"志愿者{i}", phone=f"1370000{i:04d}", home_community=tree["community_a"]
        )
        for i in range(200)
    ]
    db.session.add_all(volunteers)
    db.session.commit()
    ids = [v.id for v in volunteers]
    event_id = event.id
    db.session.remove()

    outcomes = _run_at_once(app, [_check_in_job(event_id, vid, now) for vid in ids])

    assert outcomes == Counter({"ok": 200}), outcomes
    assert _attendances(event_id) == 200


def test_same_volunteer_checking_in_20_times_at_once_is_recorded_once(app, people, event, now):
    event_id, volunteer_id = event.id, people["v"].id
    db.session.remove()

    outcomes = _run_at_once(app, [_check_in_job(event_id, volunteer_id, now) for _ in range(20)])

    assert outcomes == Counter({"ok": 1, "already_checked_in": 19}), outcomes
    assert _attendances(event_id) == 1


def test_approving_at_once_from_two_screens_makes_one_transfer(app, people, event, now):
    import datetime as dt

    from points_app.ledger.models import Transfer

    a = services.check_in(event, people["v"], actor=None, now=now)
    services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(hours=1))
    db.session.commit()
    attendance_id = a.id
    approvers = [people["organiser"].id, people["committee"].id] * 5
    db.session.remove()

    def approve(user_id: int) -> Any:
        def job() -> None:
            from points_app.accounts.models import User

            attendance = db.session.get(Attendance, attendance_id)
            services.approve_attendance(attendance, actor=db.session.get(User, user_id), now=now)

        return job

    outcomes = _run_at_once(app, [approve(uid) for uid in approvers])

    assert outcomes == Counter({"ok": 10}), outcomes
    assert db.session.scalar(select(func.count(Transfer.id))) == 1
