"""A lesson page whose time the member was already credited through another page (StudyClock)
earns little or nothing, and the heartbeat says so, apart from every other reason to earn
little: the page then tells the member that another page is counting. The server computes the
figure; nothing the page sends about it is read."""

from learnapp.courses.models import LessonKind
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier, pages
from tests.world import build_world


def test_a_page_one_second_behind_another_says_the_rest_was_credited_there(session):
    first, second = pages(session, count=2)
    assert first.beat(20) == 20
    assert first.outcome.credited_elsewhere_seconds == 0
    assert second.beat(1) == 1  # its 21 s since opening: 20 of them already credited to first
    assert second.outcome.credited_elsewhere_seconds == 20
    assert first.beat(19) == 19  # first's 20 s: the second before was credited to second
    assert first.outcome.credited_elsewhere_seconds == 1
    assert second.beat(1) == 1
    assert second.outcome.credited_elsewhere_seconds == 19


def test_a_page_alone_has_nothing_credited_elsewhere_whatever_it_earns(session):
    (page,) = pages(session)
    assert page.beat(20) == 20
    assert page.beat(41) == 0  # a gap over the cap: the page was away
    assert page.beat(5, paused=True) == 5
    assert page.beat(10) == 0  # the time after a paused report
    for _ in range(4):
        assert page.outcome.credited_elsewhere_seconds == 0
        page.beat(20)


def test_video_already_watched_earns_nothing_but_not_because_of_another_page(session):
    (page,) = pages(session, kind=LessonKind.VIDEO)
    assert page.beat(20, segment=(0, 20)) == 20
    assert page.beat(20, segment=(0, 20)) == 0
    assert page.outcome.credited_elsewhere_seconds == 0


def test_two_lessons_in_two_tabs_the_heartbeat_reports_time_counted_elsewhere(
    client, session, clock
):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson, other = (make_lesson(session, course=course, length_seconds=3600) for _ in range(2))
    session.commit()
    studier = Studier.login(client, "mema")
    first, second = studier.start(lesson.id), studier.start(other.id)
    clock.advance(seconds=20)
    answer = studier.beat(first, 1, credited_elsewhere_seconds=0).get_json()
    assert (answer["credited_seconds"], answer["credited_elsewhere_seconds"]) == (20, 0)
    clock.advance(seconds=1)
    # Whatever the page claims, the server says how much of its time another page earned.
    answer = studier.beat(second, 1, credited_elsewhere_seconds=0, credited_seconds=21).get_json()
    assert (answer["credited_seconds"], answer["credited_elsewhere_seconds"]) == (1, 20)
    assert studier.progress(other.id)["verified_seconds"] == 1


def test_the_lesson_page_carries_the_message_for_time_counted_elsewhere(client, session):
    world = build_world(session)
    lesson = make_lesson(session, course=make_course(session, owner_unit=world.root))
    session.commit()
    Studier.login(client, "mema")
    page = client.get(f"/study/lessons/{lesson.id}").get_data(as_text=True)
    assert 'data-label-elsewhere="另一个页面正在计时，此页不重复计入"' in page
