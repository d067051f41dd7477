import datetime as dt
import zoneinfo

import pytest

from reports.workhours import Schedule, describe
from tests.factories import SLAFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.timezone.utc


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def weekdays():
    return Schedule.of(SLAFactory.build())  # 9–17, Monday to Friday, Europe/London


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (london(2026, 11, 20, 15, 30), 4, london(2026, 11, 23, 11, 30)),  # Friday → Monday
        (london(2026, 11, 21, 10, 0), 4, london(2026, 11, 23, 13, 0)),  # Saturday
        (london(2026, 11, 22, 23, 59), 4, london(2026, 11, 23, 13, 0)),  # Sunday night
        (london(2026, 11, 24, 10, 0), 3, london(2026, 11, 24, 13, 0)),  # within the day
        (london(2026, 11, 24, 7, 0), 1, london(2026, 11, 24, 10, 0)),  # before opening
        (london(2026, 11, 24, 17, 0), 0.5, london(2026, 11, 25, 9, 30)),  # at closing time
        (london(2026, 11, 24, 22, 0), 1, london(2026, 11, 25, 10, 0)),  # overnight
        (london(2026, 11, 23, 9, 0), 20, london(2026, 11, 25, 13, 0)),  # 8 + 8 + 4
        (london(2026, 11, 23, 9, 0), 8, london(2026, 11, 23, 17, 0)),  # a whole day
    ],
)
def test_due_times_count_only_working_hours(weekdays, start, hours, due):
    assert weekdays.add(start, hours) == due


def test_the_due_time_comes_back_in_utc(weekdays):
    assert weekdays.add(london(2026, 7, 1, 9, 0), 1).tzinfo == UTC
    assert weekdays.add(london(2026, 7, 1, 9, 0), 1) == dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_the_clock_crosses_a_daylight_saving_weekend(weekdays):
    # Clocks go forward on Sunday 29 March 2026: Monday 10:00 is 09:00 UTC, not 10:00.
    due = weekdays.add(london(2026, 3, 27, 16, 0), 2)
    assert due == dt.datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_the_sla_time_zone_decides_the_working_day():
    schedule = Schedule.of(SLAFactory.build(timezone="America/New_York"))
    # 20:00 UTC on a Friday is 15:00 in New York: two hours left that day, two on Monday.
    due = schedule.add(dt.datetime(2026, 11, 20, 20, 0, tzinfo=UTC), 4)
    assert due == dt.datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK)


def test_a_sunday_to_thursday_week():
    schedule = Schedule.of(SLAFactory.build(working_days=[6, 0, 1, 2, 3], timezone="Asia/Dubai"))
    dubai = zoneinfo.ZoneInfo("Asia/Dubai")
    friday = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dubai)
    assert schedule.add(friday, 1) == dt.datetime(2026, 11, 22, 10, 0, tzinfo=dubai)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (london(2026, 11, 20, 16, 0), london(2026, 11, 23, 10, 0), 2),
        (london(2026, 11, 21, 8, 0), london(2026, 11, 22, 20, 0), 0),
        (london(2026, 11, 23, 8, 0), london(2026, 11, 24, 20, 0), 16),
        (london(2026, 11, 24, 10, 15), london(2026, 11, 24, 11, 0), 0.75),
    ],
)
def test_working_time_between_two_moments(weekdays, start, end, hours):
    assert weekdays.between(start, end) == dt.timedelta(hours=hours)
    assert weekdays.between(end, start) == -dt.timedelta(hours=hours)


def test_adding_then_measuring_gives_the_window_back(weekdays):
    start = london(2026, 11, 20, 15, 30)
    assert weekdays.between(start, weekdays.add(start, 4)) == dt.timedelta(hours=4)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(hours=2, minutes=10), "2 h 10 min"),
        (dt.timedelta(minutes=45), "45 min"),
        (dt.timedelta(hours=3), "3 h"),
        (dt.timedelta(days=1, hours=2), "1 day 2 h"),
        (dt.timedelta(days=3), "3 days"),
        (-dt.timedelta(minutes=5), "5 min"),
    ],
)
def test_describe_spans_for_badges(delta, text):
    assert describe(delta) == text
