"""The content of a rule set: a typed view of its JSON, and the 2019 default.

Quantities of 学时 are kept as strings in the JSON so that they come back as exact Decimals, with
the two places the ledger keeps and shows ("4.0" is 4.00).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from learnapp.hours.models import HoursCategory

HOURS_PLACES = Decimal("0.01")
DEFAULT_VERSION = "2019-1"
DEFAULT_EFFECTIVE_FROM = date(2019, 5, 6)
DEFAULT_SOURCE = (
    "《中国共产党党员教育管理工作条例》（2019年5月6日中共中央发布）第二十条：党员每年集中"
    "学习培训时间一般不少于32学时；《2019—2023年全国党员教育培训工作规划》：基层党组织书记"
    "和班子成员每年集中学习培训时间不少于56学时。学时折算、在线学习每日上限和课时分档为"
    "本平台默认规则（国家未规定分钟折算）。"
)
DEFAULT_RULES = {
    "annual_target_hours": "32",
    "leader_target_hours": "56",
    "daily_online_cap_hours": "4.0",
    # Suggested nominal 学时 of a lesson by its length: the first band it reaches.
    "lesson_bands": [[1800, "1"], [900, "0.5"], [0, "0.25"]],
    "final_test_bonus_hours": "0.5",
    "target_categories": [
        HoursCategory.CENTRALISED.value,
        HoursCategory.COLLECTIVE.value,
        HoursCategory.ONLINE.value,
        HoursCategory.EXTERNAL.value,
    ],
    "session_hours": {"per_hour": "1", "half_day": "4", "full_day": "8"},
    "daily_self_study_cap_hours": "8",
}


def _hours(value) -> Decimal:
    """A quantity of 学时 to at least two places; a finer one, if a rule set has it, as it is."""
    number = Decimal(value)
    if not number.is_finite() or number.as_tuple().exponent < -2:
        return number
    return number.quantize(HOURS_PLACES)


@dataclass(frozen=True)
class Rules:
    annual_target_hours: Decimal
    leader_target_hours: Decimal
    daily_online_cap_hours: Decimal
    lesson_bands: tuple[tuple[int, Decimal], ...]
    final_test_bonus_hours: Decimal
    target_categories: frozenset[HoursCategory]
    session_hours: dict[str, Decimal]
    daily_self_study_cap_hours: Decimal

    @classmethod
    def from_json(cls, data: dict) -> "Rules":
        merged = {**DEFAULT_RULES, **(data or {})}
        return cls(
            annual_target_hours=_hours(merged["annual_target_hours"]),
            leader_target_hours=_hours(merged["leader_target_hours"]),
            daily_online_cap_hours=_hours(merged["daily_online_cap_hours"]),
            lesson_bands=tuple(
                sorted(
                    ((int(s), _hours(h)) for s, h in merged["lesson_bands"]),
                    reverse=True,
                )
            ),
            final_test_bonus_hours=_hours(merged["final_test_bonus_hours"]),
            target_categories=frozenset(HoursCategory(c) for c in merged["target_categories"]),
            session_hours={k: _hours(v) for k, v in merged["session_hours"].items()},
            daily_self_study_cap_hours=_hours(merged["daily_self_study_cap_hours"]),
        )

    def to_json(self) -> dict:
        return {
            "annual_target_hours": str(self.annual_target_hours),
            "leader_target_hours": str(self.leader_target_hours),
            "daily_online_cap_hours": str(self.daily_online_cap_hours),
            "lesson_bands": [[s, str(h)] for s, h in self.lesson_bands],
            "final_test_bonus_hours": str(self.final_test_bonus_hours),
            "target_categories": sorted(c.value for c in self.target_categories),
            "session_hours": {k: str(v) for k, v in self.session_hours.items()},
            "daily_self_study_cap_hours": str(self.daily_self_study_cap_hours),
        }

    def suggested_lesson_hours(self, length_seconds: int) -> Decimal:
        """The nominal 学时 the length bands suggest for a lesson of this length."""
        for minimum, hours in self.lesson_bands:
            if length_seconds >= minimum:
                return hours
        return self.lesson_bands[-1][1]
