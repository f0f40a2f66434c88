"""Background set decisions whose runner dies: the job shows interrupted with how far it
got, and is resumed (once, whoever clicks first) or abandoned, both audited."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub import config
from hub.actors import Actor
from hub.auth.users import actor_for_user
from hub.curation import review, submissions
from hub.store import audit
from hub.store.db import transaction
from hub.store.models import AuditEntry, ReviewJob, Revision, utcnow
from tests.conftest import product
from tests.review.conftest import VN_REVIEWER, submit


class Killed(BaseException):
    """What a dying process does to a runner: nothing after it runs (not an Exception)."""


def _pending_set(hub, n: int) -> tuple[int, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    submit(hub, *[product(i) for i in range(1, n + 1)])
    with hub.sessions() as s:
        sub_id = submissions.queue(s, VN_REVIEWER)[0].submission.id
        return sub_id, submissions.plan(submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id)))


def _killed_after(monkeypatch, chunks: int) -> None:  # type: ignore[no-untyped-def]
    """The runner's process dies when it starts its chunk number ``chunks + 1``."""
    real = review.decide_many
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > chunks:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(review, "decide_many", dying)


def _interrupted_job(hub, monkeypatch, n: int = 10, actor=VN_REVIEWER) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A job of ``n`` approvals whose runner died after its first chunk of 3."""
    monkeypatch.setattr(submissions, "CHUNK", 3)
    sub_id, keys = _pending_set(hub, n)
    _killed_after(monkeypatch, 1)
    with pytest.raises(Killed):
        submissions.start(hub.sessions, actor, sub_id, keys, "approve", background=False)
    monkeypatch.undo()
    monkeypatch.setattr(submissions, "CHUNK", 3)
    with hub.sessions() as s:
        job_id = s.scalar(sa.select(sa.func.max(ReviewJob.id)))
    return sub_id, job_id


def _states(hub, sub_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        rows = s.execute(
            sa.select(Revision.uid, Revision.version, Revision.review_state).where(Revision.submission_id == sub_id)
        )
        return {f"{uid}@{v}": state for uid, v, state in rows}


def _audited(hub, action: str) -> list[str]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return list(s.scalars(sa.select(AuditEntry.target).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def test_a_job_whose_runner_died_shows_interrupted_with_how_far_it_got(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sub_id, job_id = _interrupted_job(hub, monkeypatch)
    with hub.sessions() as s:
        assert s.get(ReviewJob, job_id).state == "running"  # as the dead runner left it
        job = submissions.job(s, VN_REVIEWER, job_id)
        assert job is not None and (job.state, job.done, job.total) == ("interrupted", 3, 10)
    assert list(_states(hub, sub_id).values()).count("approved") == 3


def test_a_job_without_a_heartbeat_within_the_bound_is_interrupted(hub) -> None:  # type: ignore[no-untyped-def]
    def row(beat_ago: int) -> int:
        with transaction(hub.sessions) as s:
            job = ReviewJob(
                actor=VN_REVIEWER.id,
                submission_id=None,
                decision="approve",
                total=5000,
                done=2000,
                refused=0,
                state="running",
                created_at=utcnow() - timedelta(hours=1),
                keys=[],
                runner="another-machine:4242:0a1b2c3d",  # cannot be checked from here
                heartbeat_at=utcnow() - timedelta(seconds=beat_ago),
            )
            s.add(job)
            s.flush()
            return job.id

    fresh, stale = row(30), row(300)
    with hub.sessions() as s:
        assert submissions.job(s, VN_REVIEWER, fresh, stale_after=120).state == "running"
        assert submissions.job(s, VN_REVIEWER, stale, stale_after=600).state == "running"
        assert submissions.job(s, VN_REVIEWER, stale, stale_after=120).state == "interrupted"
    with hub.sessions() as s:
        assert s.get(ReviewJob, stale).state == "interrupted"  # stored: every reader sees it


def test_a_job_whose_process_on_this_machine_ended_is_interrupted_at_once(hub) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from hub import processes

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with transaction(hub.sessions) as s:
        job = ReviewJob(
            actor=VN_REVIEWER.id,
            submission_id=None,
            decision="approve",
            total=5000,
            done=1000,
            refused=0,
            state="running",
            created_at=utcnow(),
            keys=[],
            runner=f"{processes.HOST}:{int(ended.stdout)}:0a1b2c3d",  # a recycled worker
            heartbeat_at=utcnow(),
        )
        s.add(job)
        s.flush()
        job_id = job.id
    with hub.sessions() as s:
        assert submissions.job(s, VN_REVIEWER, job_id, stale_after=3600).state == "interrupted"


def test_resume_decides_what_is_left_once_and_never_the_stale_or_decided(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sub_id, job_id = _interrupted_job(hub, monkeypatch)
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p5", 1, "return", "wrong-area")  # decided meanwhile
    submit(hub, product(6, name={"vi": "v2"}))  # p6 v1 superseded meanwhile
    with hub.sessions() as s:
        assert submissions.job(s, VN_REVIEWER, job_id).state == "interrupted"
    submissions.resume(hub.sessions, VN_REVIEWER, job_id, background=False)
    with hub.sessions() as s:
        job = submissions.job(s, VN_REVIEWER, job_id)
        assert (job.state, job.done, job.total, job.refused) == ("done", 10, 10, 2)
        assert audit.verify(s) == []
    states = _states(hub, sub_id)
    assert states.pop("VN/products/p5@1") == "returned" and states.pop("VN/products/p6@1") == "superseded"
    with hub.sessions() as s:  # the later revision (another submission) was not in the confirmed set
        later = sa.select(Revision.review_state).where(Revision.uid == "VN/products/p6", Revision.version == 2)
        assert s.scalar(later) == "pending"
    assert set(states.values()) == {"approved"} and len(states) == 8
    approved = _audited(hub, "review.approve")
    assert sorted(approved) == sorted(uid.partition("@")[0] for uid in states)  # each decided once
    assert _audited(hub, "review.job.resume") == [f"review-job:{job_id}"]


def test_of_two_resumes_at_once_one_wins(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sub_id, job_id = _interrupted_job(hub, monkeypatch)
    with hub.sessions() as s:
        submissions.job(s, VN_REVIEWER, job_id)
    gate = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        gate.wait()
        try:
            submissions.resume(hub.sessions, VN_REVIEWER, job_id, background=False)
            outcomes.append("resumed")
        except submissions.JobError:
            outcomes.append("refused")

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["refused", "resumed"]
    assert _audited(hub, "review.job.resume") == [f"review-job:{job_id}"]
    assert sorted(_audited(hub, "review.approve")) == sorted(f"VN/products/p{i}" for i in range(1, 11))
    with hub.sessions() as s:
        job = submissions.job(s, VN_REVIEWER, job_id)
        assert (job.state, job.done, job.refused) == ("done", 10, 0)


def test_a_slow_runner_that_comes_back_after_its_job_was_interrupted_stops(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(submissions, "CHUNK", 3)
    sub_id, keys = _pending_set(hub, 9)
    real = review.decide_many
    calls = {"n": 0}

    def stalls(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:  # the runner stalls past the bound; a reader finds it interrupted
            with transaction(hub.sessions) as s:
                s.execute(sa.update(ReviewJob).values(heartbeat_at=utcnow() - timedelta(hours=1)))
            with hub.sessions() as s:
                assert submissions.job(s, VN_REVIEWER, job_id_of(s)).state == "interrupted"
        return real(*args, **kwargs)

    def job_id_of(s: Any) -> int:
        return s.scalar(sa.select(sa.func.max(ReviewJob.id)))

    monkeypatch.setattr(review, "decide_many", stalls)
    job_id = submissions.start(hub.sessions, VN_REVIEWER, sub_id, keys, "approve", background=False)
    with hub.sessions() as s:
        job = s.get(ReviewJob, job_id)
        assert (job.state, job.done) == ("interrupted", 3)  # its second chunk was rolled back
    assert list(_states(hub, sub_id).values()).count("approved") == 3
    assert len(_audited(hub, "review.approve")) == 3


def test_an_interrupted_job_can_be_abandoned_once_and_is_then_not_resumed(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sub_id, job_id = _interrupted_job(hub, monkeypatch)
    with pytest.raises(submissions.JobError):
        submissions.abandon(hub.sessions, Actor("user:other@vn.example", "VN", VN_REVIEWER.scopes), job_id)
    submissions.abandon(hub.sessions, VN_REVIEWER, job_id)
    with pytest.raises(submissions.JobError, match="abandoned"):
        submissions.resume(hub.sessions, VN_REVIEWER, job_id, background=False)
    with pytest.raises(submissions.JobError):
        submissions.abandon(hub.sessions, VN_REVIEWER, job_id)
    assert _audited(hub, "review.job.abandon") == [f"review-job:{job_id}"]
    assert list(_states(hub, sub_id).values()).count("pending") == 7
    with hub.sessions() as s:
        assert s.get(ReviewJob, job_id).state == "abandoned"


def test_a_running_job_is_neither_resumed_nor_abandoned(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        job = ReviewJob(
            actor=VN_REVIEWER.id,
            submission_id=None,
            decision="approve",
            total=1,
            done=0,
            refused=0,
            state="running",
            created_at=utcnow(),
            keys=[["VN/products/p1", 1]],
            runner="another-machine:1:ffffffff",
            heartbeat_at=utcnow(),
        )
        s.add(job)
        s.flush()
        job_id = job.id
    for act in (submissions.resume, submissions.abandon):
        with pytest.raises(submissions.JobError, match="running"):
            act(hub.sessions, VN_REVIEWER, job_id)


def test_the_console_shows_an_interrupted_job_and_resumes_it(client, hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hub.auth import users
    from tests.console.conftest import csrf_token, make_user, sign_in

    user = make_user(hub, "rev@vn.example", "reviewer", "VN")
    assert sign_in(client, user).status_code == 302
    with hub.sessions() as s:
        actor = actor_for_user(users.get(s, "rev@vn.example"))
    _sub_id, job_id = _interrupted_job(hub, monkeypatch, actor=actor)
    page = client.get(f"/console/review-jobs/{job_id}").get_data(as_text=True)
    assert "Decision interrupted" in page and "3 of 10 revisions decided" in page
    assert "Resume the 7 revisions left" in page and 'http-equiv="refresh"' not in page
    token = csrf_token(client, f"/console/review-jobs/{job_id}")
    done = client.post(f"/console/review-jobs/{job_id}/resume", data={"csrf_token": token})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Decision taken" in page and "10 of 10 revisions decided" in page
    again = client.post(f"/console/review-jobs/{job_id}/resume", data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing was done" in again.get_data(as_text=True)


def test_the_staleness_bound_is_a_checked_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert config.Settings().review_job_stale_after == 120
    with pytest.raises(config.ConfigError, match="review_job_stale_after"):
        config.load(overrides={"review_job_stale_after": 5, "instance_path": str(tmp_path)}, env={})


def test_the_migration_keeps_older_jobs_which_can_be_abandoned_not_resumed(hub) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from hub.store import migrate

    with hub.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0015_submission_counts")
        assert "heartbeat_at" not in {c["name"] for c in sa.inspect(conn).get_columns("review_jobs")}
        conn.execute(
            sa.text(
                "INSERT INTO review_jobs (actor, submission_id, decision, total, done, refused, state, created_at)"
                " VALUES (:actor, NULL, 'approve', 4000, 1000, 0, 'running', :at)"
            ),
            {"actor": VN_REVIEWER.id, "at": utcnow() - timedelta(hours=2)},
        )
    migrate.upgrade(hub.engine)
    with hub.sessions() as s:
        job_id = s.scalar(sa.select(sa.func.max(ReviewJob.id)))
        job = submissions.job(s, VN_REVIEWER, job_id)
        assert (job.state, job.done, job.keys, job.runner) == ("interrupted", 1000, None, None)
    with pytest.raises(submissions.JobError, match="abandon it"):
        submissions.resume(hub.sessions, VN_REVIEWER, job_id)
    submissions.abandon(hub.sessions, VN_REVIEWER, job_id)
    assert _audited(hub, "review.job.abandon") == [f"review-job:{job_id}"]
