"""A member studying through the real endpoints, with the CSRF header the page's JS sends; and
lesson pages beating on the service, by a server clock the test moves."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from learnapp.accounts.services.sessions import SessionMember
from learnapp.study.services import BeatOutcome, record_heartbeat, start_session
from tests.conftest import Auth
from tests.factories import FIXED_NOW
from tests.study.factories import make_course, make_lesson
from tests.world import build_world


@dataclass
class Studier:
    client: object
    token: str

    @classmethod
    def login(cls, client, username: str) -> "Studier":
        auth = Auth(client)
        response = auth.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return cls(client, auth.csrf("/profile"))

    def post(self, path: str, payload=None):
        return self.client.post(path, json=payload or {}, headers={"X-CSRFToken": self.token})

    def start(self, lesson_id: int) -> str:
        response = self.post(f"/study/lessons/{lesson_id}/sessions")
        assert response.status_code == 201, response.status_code
        return response.get_json()["session"]

    def beat(self, session_id: str, seq: int, **payload):
        return self.post(f"/study/sessions/{session_id}/beats", {"seq": seq, **payload})

    def progress(self, lesson_id: int) -> dict:
        return self.client.get(f"/study/lessons/{lesson_id}/progress").get_json()


@dataclass
class ServerClock:
    now: datetime = FIXED_NOW


class Page:
    """One lesson page open on the service: `beat(after, ...)` reports `after` seconds later by
    the clock its member's pages share, and returns the seconds credited; `outcome` is the
    service's whole answer to the last one."""

    def __init__(self, session, member, lesson, clock: ServerClock):
        self.session, self.clock = session, clock
        self.member = SessionMember(
            member.id, member.category, member.unit.path, None, False, "auth-session"
        )
        self.id = start_session(session, member, lesson, clock.now).id
        self.seq = 0
        self.outcome: BeatOutcome | None = None

    def beat(self, after: int, *, paused: bool = False, segment=None) -> int:
        self.clock.now += timedelta(seconds=after)
        self.seq += 1
        self.outcome = record_heartbeat(
            self.session,
            self.member,
            self.id,
            seq=self.seq,
            reached_end=False,
            segment=segment,
            paused=paused,
            now=self.clock.now,
        )
        assert self.outcome.status == "accepted"
        return self.outcome.credited_seconds


def pages(session, count=1, **lesson_fields) -> list[Page]:
    """`count` pages of one member on one new lesson of an hour, sharing a server clock."""
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, length_seconds=3600, **lesson_fields)
    clock = ServerClock()
    return [Page(session, world.member_a, lesson, clock) for _ in range(count)]
