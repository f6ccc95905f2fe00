"""The scoring rules as data, and the pure arithmetic of the suggested score.

Score = base + bonus − deduction. The base is the weighted completion of each evidence
component (each a share in [0, 1]); a component that does not apply to the member (no 学时
target, no required course, no meeting expected, no exam held in the branch that year) is left
out and the others are scaled up to the same maximum, so nobody gains or loses for what was not
asked of them. What was asked and not done counts 0 (an exam skipped, or not marked yet). Each
approved 积分 item counts up to its per-item cap, and each side up to its total cap.
Every figure is shown to the cent, and each total is the sum of the shown figures (a member adds
them up by hand): each component's maximum is its weight's share of the base's maximum in cents,
allotted so that the maxima add up to it (full marks stay full); a component is its share of its
maximum, rounded half-up; the base is the sum of the components, and the score is base + bonus −
deduction.
Quantities are strings in the JSON so they come back as exact Decimals.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

# Named after the year it takes effect, as hours.rules names its default.
DEFAULT_VERSION = "2019-1"
DEFAULT_EFFECTIVE_FROM = date(2019, 1, 1)
DEFAULT_SOURCE = (
    "《中国共产党党员教育管理工作条例》（2019）第二十三条、第二十九条：民主评议党员每年一次，"
    "评定等次为优秀、合格、基本合格、不合格。评分权重与加减分上限为本平台默认规则，由党组织"
    "按实际调整；分数仅作为支委会评议的参考依据，不是评定结果。"
)
# Every component the dossier can hold, in display order.
COMPONENTS = ("hours", "courses", "exams", "attendance", "contributions")
DEFAULT_RULES = {
    "weights": {
        "hours": "40",
        "courses": "20",
        "exams": "15",
        "attendance": "15",
        "contributions": "10",
    },
    "contributions_target": 4,
    "bonus_item_cap": "5",
    "bonus_cap": "10",
    "deduction_item_cap": "10",
    "deduction_cap": "20",
}
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoreRules:
    weights: dict[str, Decimal]
    contributions_target: int
    bonus_item_cap: Decimal
    bonus_cap: Decimal
    deduction_item_cap: Decimal
    deduction_cap: Decimal

    @classmethod
    def from_json(cls, data: dict) -> "ScoreRules":
        merged = {**DEFAULT_RULES, **(data or {})}
        return cls(
            weights={
                name: Decimal(str(weight))
                for name, weight in merged["weights"].items()
                if name in COMPONENTS and Decimal(str(weight)) > 0
            },
            contributions_target=max(int(merged["contributions_target"]), 1),
            bonus_item_cap=Decimal(str(merged["bonus_item_cap"])),
            bonus_cap=Decimal(str(merged["bonus_cap"])),
            deduction_item_cap=Decimal(str(merged["deduction_item_cap"])),
            deduction_cap=Decimal(str(merged["deduction_cap"])),
        )

    def to_json(self) -> dict:
        return {
            "weights": {name: str(weight) for name, weight in self.weights.items()},
            "contributions_target": self.contributions_target,
            "bonus_item_cap": str(self.bonus_item_cap),
            "bonus_cap": str(self.bonus_cap),
            "deduction_item_cap": str(self.deduction_item_cap),
            "deduction_cap": str(self.deduction_cap),
        }

    @property
    def base_max(self) -> Decimal:
        return sum(self.weights.values(), Decimal(0))


@dataclass(frozen=True)
class Score:
    base: Decimal
    bonus: Decimal
    deduction: Decimal
    parts: dict[str, Decimal | None]  # points per component; None: did not apply

    @property
    def total(self) -> Decimal:
        return _cents(max(self.base + self.bonus - self.deduction, Decimal(0)))


def capped_sum(points, item_cap: Decimal, total_cap: Decimal) -> Decimal:
    """Each item up to `item_cap`, all of them up to `total_cap`."""
    return min(sum((min(Decimal(p), item_cap) for p in points), Decimal(0)), total_cap)


def _scaled_maxima(applicable: dict[str, Decimal], base_max: Decimal) -> dict[str, Decimal]:
    """Each applicable component's maximum in cents: its weight's share of `base_max`, the
    cents left over by rounding down given to the largest remainders (the first component on a
    tie), so that the maxima add up to `base_max` and full marks stay full (three equal
    components of 100 are 33.34, 33.33 and 33.33, not 99.99 in all)."""
    total = sum(applicable.values(), Decimal(0))
    if not total:
        return {}
    exact = {name: weight * base_max / total for name, weight in applicable.items()}
    maxima = {name: value.quantize(CENT, rounding=ROUND_DOWN) for name, value in exact.items()}
    left = int((base_max - sum(maxima.values(), Decimal(0))) / CENT)
    by_remainder = sorted(exact, key=lambda name: exact[name] - maxima[name], reverse=True)
    for name in by_remainder[:left]:
        maxima[name] += CENT
    return maxima


def score(
    rules: ScoreRules, shares: dict[str, float | Decimal | None], bonuses=(), deductions=()
) -> Score:
    """The suggested score from component shares (None: not applicable) and approved items; the
    base is the sum of the components as shown, each rounded to the cent (see the module)."""
    applicable = {
        name: weight for name, weight in rules.weights.items() if shares.get(name) is not None
    }
    maxima = _scaled_maxima(applicable, rules.base_max)
    parts: dict[str, Decimal | None] = {}
    base = Decimal(0)
    for name in rules.weights:
        if name not in applicable:
            parts[name] = None
            continue
        share = min(max(Decimal(str(shares[name])), Decimal(0)), Decimal(1))
        parts[name] = _cents(share * maxima[name])
        base += parts[name]
    if not applicable:
        base = rules.base_max
    return Score(
        base=_cents(base),
        bonus=_cents(capped_sum(bonuses, rules.bonus_item_cap, rules.bonus_cap)),
        deduction=_cents(capped_sum(deductions, rules.deduction_item_cap, rules.deduction_cap)),
        parts=parts,
    )
