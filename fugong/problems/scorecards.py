"""诉求办理指标: scorecards per handling unit and per region, the red and black lists, open problems
by category, and 共性问题 (similar open problems across enterprises).

Everything is counted from the work orders' events, not from the problems' current fields: a
problem that was returned and dispatched again, or redone, keeps every move in its history, and
each move is credited to the unit that held the work order at that moment. The exact
definitions are in docs/metrics.md under "诉求办理指标"; the docstrings below say the same.

Ranges are local calendar days, both ends included: an event counts when
`start 00:00 ≤ event time < (end + 1 day) 00:00` (Asia/Shanghai).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from fugong.accounts.models import Department
from fugong.core.access import supervised_paths, supervises, supervises_somewhere
from fugong.core.calendar import working_time_between
from fugong.core.errors import Forbidden
from fugong.problems.models import OPEN_STATUSES, Event, Problem, Rating, Status
from fugong.problems.similar import similar
from fugong.regions.models import Region, access_node

SATISFIED = (Rating.SATISFIED, Rating.BASIC)
RANK_MIN_PROBLEMS = 3  # a unit needs this many problems dispatched to it in the range to be ranked
RANK_SIZE = 5  # at most this many units on each list
# 综合得分 weights: closing on time matters most, then what enterprises say, then signing on time,
# then not bouncing work back.
SCORE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("close_on_time_rate", 40),
    ("satisfaction_rated", 30),
    ("sign_on_time_rate", 20),
    ("kept_rate", 10),
)
CLUSTER_MIN_ENTERPRISES = 3
CLUSTER_MAX_PER_CATEGORY = 500  # the newest open problems of a category that are compared
OWN_LEVEL = "本级"


def ratio(part: int, whole: int) -> Decimal | None:
    return None if not whole else Decimal(part) / Decimal(whole)


@dataclass
class Card:
    """The figures of one handling unit or one region over a range (definitions: module doc)."""

    key: str
    name: str
    region_name: str = ""
    received: int = 0
    dispatched: int = 0
    returned: int = 0
    signed: int = 0
    signed_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    rated: int = 0
    rated_satisfied: int = 0
    closed: int = 0
    closed_satisfied: int = 0
    closed_resolved: int = 0
    close_time: datetime.timedelta = datetime.timedelta(0)  # working time, received → closed
    dispatched_problems: set[int] = field(default_factory=set)
    replied_problems: set[int] = field(default_factory=set)
    redone_problems: set[int] = field(default_factory=set)

    @property
    def sign_on_time_rate(self) -> Decimal | None:
        """按时签收率 = signs in the range made by the sign deadline ÷ signs in the range."""
        return ratio(self.signed_on_time, self.signed)

    @property
    def close_on_time_rate(self) -> Decimal | None:
        """按期办结率 = replies in the range made by the due moment (not close_late) ÷ replies."""
        return ratio(self.replied_on_time, self.replied)

    @property
    def return_rate(self) -> Decimal | None:
        """回退率 = returns (退单) in the range ÷ dispatches to the unit in the range."""
        return ratio(self.returned, self.dispatched)

    @property
    def kept_rate(self) -> Decimal | None:
        rate = self.return_rate
        return None if rate is None else 1 - rate

    @property
    def redone(self) -> int:
        return len(self.replied_problems & self.redone_problems)

    @property
    def redo_rate(self) -> Decimal | None:
        """重办率 = problems replied in the range that were ever sent back for redoing (an
        unsatisfied rating, up to the range's end) ÷ distinct problems replied in the range."""
        return ratio(self.redone, len(self.replied_problems))

    @property
    def satisfaction_closed(self) -> Decimal | None:
        """满意率（按办结）= closings rated 满意 or 基本满意 ÷ all closings in the range (a closing
        without a rating — the dispatcher closes after the enterprise did not rate — counts against)."""
        return ratio(self.closed_satisfied, self.closed)

    @property
    def satisfaction_rated(self) -> Decimal | None:
        """满意率（按评价）= ratings 满意 or 基本满意 ÷ all ratings given in the range (an
        unsatisfied rating sends the problem back, so it is a rating but not a closing)."""
        return ratio(self.rated_satisfied, self.rated)

    @property
    def resolved_rate(self) -> Decimal | None:
        """解决率 = closings where the enterprise said the problem was solved ÷ closings."""
        return ratio(self.closed_resolved, self.closed)

    @property
    def mean_close_days(self) -> Decimal | None:
        """平均办结时长 = mean working days from 受理 (received_at) to the closing, over closings."""
        if not self.closed:
            return None
        return Decimal(self.close_time.total_seconds()) / Decimal(86400) / Decimal(self.closed)

    @property
    def score(self) -> Decimal | None:
        """综合得分 (0–100) = Σ weight × rate ÷ Σ weight over the rates that are defined, ×100;
        weights 按期办结率 40, 满意率（按评价）30, 按时签收率 20, 1−回退率 10."""
        parts = [(getattr(self, name), weight) for name, weight in SCORE_WEIGHTS]
        defined = [(rate, weight) for rate, weight in parts if rate is not None]
        if not defined:
            return None
        return sum((rate * weight for rate, weight in defined), Decimal(0)) * 100 / sum(w for _, w in defined)


@dataclass
class Scorecards:
    node: Region
    start: datetime.date
    end: datetime.date
    total: Card
    units: list[Card]
    regions: list[Card]

    @property
    def red_list(self) -> list[Card]:
        return ranking(self.units)[0]

    @property
    def black_list(self) -> list[Card]:
        return ranking(self.units)[1]


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def can_read_scorecards(user: Any) -> bool:
    return supervises_somewhere(user)


def access_scorecard_node(user: Any, code: str | None) -> Region:
    """The node a dispatcher or leader may read scorecards for (default: their own region).

    Handlers reach a region only through their department; they see their own work orders, not
    how other units did, so scorecards are refused to them (403), as to enterprise users.
    """
    if not can_read_scorecards(user):
        raise Forbidden("办理成绩仅供调度员和领导查看")
    own = supervised_paths(user)
    if not code:  # their own region; a superuser starts at the first province
        top = Region.objects.filter(parent__isnull=True).order_by("code").first()
        code = own[0].strip("/").split("/")[-1] if own else (top.code if top else "")
    node = access_node(user, code)
    if not supervises(user, node.path):
        raise Forbidden("办理成绩仅供调度员和领导查看")
    return node


def scorecards(user: Any, node: Region, start: datetime.date, end: datetime.date) -> Scorecards:
    """Cards per lead unit and per child region of `node` (enterprises in its subtree) for the
    range, from the events of every problem that moved in it."""
    since, until = local_midnight(start), local_midnight(end + datetime.timedelta(days=1))
    moved = Event.objects.filter(problem=OuterRef("pk"), at__gte=since, at__lt=until)
    problems = (
        Problem.objects.visible_to(user)
        .filter(enterprise__region__path__startswith=node.path)
        .filter(Exists(moved))
        .values("pk")
    )
    events = (
        Event.objects.filter(problem__in=problems, at__lt=until)
        .order_by("problem_id", "at", "pk")
        .values(
            "problem_id", "action", "at", "data", "problem__received_at", "problem__enterprise__region__path"
        )
    )
    total = Card(node.code, "合计")
    regions = region_cards(node)
    units: dict[str, Card] = {}
    holder: dict[int, str | None] = {}  # problem → the unit holding it, as the events unfold
    for e in events:
        pid, data = e["problem_id"], e["data"] or {}
        key = child_key(node, e["problem__enterprise__region__path"])
        if key not in regions:  # a region added under the node since: still counted, by code
            regions[key] = Card(key, key)
        unit = acting_unit(e["action"], data, holder.get(pid))
        cards = [total, regions[key]]
        if unit is not None:
            cards.append(units.setdefault(unit, Card(unit, unit)))
        span = (e["problem__received_at"], e["at"])
        for card in cards:
            add(card, e["action"], data, pid, span, e["at"] >= since)
        holder[pid] = holder_after(e["action"], data, unit)
    name_units(units.values())
    return Scorecards(
        node=node,
        start=start,
        end=end,
        total=total,
        units=sorted(units.values(), key=lambda c: (-c.dispatched, c.region_name, c.name)),
        regions=[c for c in regions.values() if c.key != OWN_LEVEL or has_figures(c)],
    )


def acting_unit(action: str, data: dict[str, Any], holder: str | None) -> str | None:
    """The unit an event is credited to: the one dispatched to or returning, else the holder."""
    if action in ("dispatch", "escalate", "return") and data.get("department"):
        return str(data["department"])
    return holder


def holder_after(action: str, data: dict[str, Any], unit: str | None) -> str | None:
    """Who holds the work order after an event. After a return, an escalation up a level or a
    merge nobody does until the next dispatch: a merged problem's rating is credited to its
    region only, since its answer came from the master's unit."""
    if action == "dispatch" or (action == "escalate" and data.get("department")):
        return unit
    if action in ("return", "escalate", "merge") or (action == "rate" and "escalated_to" in data):
        return None
    return unit


Span = tuple[datetime.datetime, datetime.datetime]  # (received_at, the event's moment)


def add(card: Card, action: str, data: dict[str, Any], pid: int, span: Span, in_range: bool) -> None:
    if action == "rate" and "redo" in data:
        card.redone_problems.add(pid)  # any time up to the range's end
    if not in_range:
        return
    if action == "create":
        card.received += 1
    elif action == "dispatch" or (action == "escalate" and data.get("department")):
        card.dispatched += 1
        card.dispatched_problems.add(pid)
    elif action == "return":
        card.returned += 1
    elif action == "sign":
        card.signed += 1
        card.signed_on_time += not data.get("late")
    elif action == "reply" and "from_master" not in data:  # a merged problem's answer is its master's
        card.replied += 1
        card.replied_on_time += not data.get("late")
        card.replied_problems.add(pid)
    elif action == "rate":
        card.rated += 1
        satisfied = data.get("rating") in SATISFIED
        card.rated_satisfied += satisfied
        if satisfied:
            close(card, span, resolved=data.get("resolved") is True, satisfied=True)
    elif action == "close":
        close(card, span, resolved=False, satisfied=False)


def close(card: Card, span: Span, *, resolved: bool, satisfied: bool) -> None:
    card.closed += 1
    card.closed_satisfied += satisfied
    card.closed_resolved += resolved
    card.close_time += working_time_between(local(span[0]), local(span[1]))


def child_key(node: Region, path: str) -> str:
    rest = path[len(node.path) :].split("/")[0]
    return rest or OWN_LEVEL


def region_cards(node: Region) -> dict[str, Card]:
    # access_node has made sure the whole subtree is the user's, so every child is listed
    cards = {
        r.code: Card(r.code, r.name) for r in Region.objects.filter(parent=node).order_by("kind", "code")
    }
    cards[OWN_LEVEL] = Card(OWN_LEVEL, f"{node.name}（本级）")
    return cards


def has_figures(card: Card) -> bool:
    return bool(card.received or card.dispatched or card.signed or card.replied or card.rated or card.closed)


def name_units(cards: Iterable[Card]) -> None:
    by_id = {c.key: c for c in cards}
    for d in Department.objects.filter(pk__in=[int(k) for k in by_id]).select_related("region"):
        by_id[str(d.pk)].name, by_id[str(d.pk)].region_name = d.name, d.region.name


def ranking(units: list[Card]) -> tuple[list[Card], list[Card]]:
    """红榜 and 黑榜: units with at least RANK_MIN_PROBLEMS distinct problems dispatched to them in
    the range and a score, by score (ties: more problems first, then name). With n such units,
    k = min(RANK_SIZE, n // 2): the red list is the top k, best first; the black list the bottom
    k, worst first — so no unit is on both, and a lone unit is on neither."""
    eligible = [c for c in units if len(c.dispatched_problems) >= RANK_MIN_PROBLEMS and c.score is not None]
    eligible.sort(key=lambda c: (-(c.score or 0), -len(c.dispatched_problems), c.name))
    k = min(RANK_SIZE, len(eligible) // 2)
    return eligible[:k], eligible[::-1][:k]


@dataclass
class CategoryCount:
    category_id: int
    category: str
    open: int
    urgent: int
    overdue: int


def overdue_q(now: datetime.datetime) -> Q:
    """Open problems whose running clock has run out and is not paused (the light "已超时")."""
    running_out = Q(status=Status.DISPATCHED, sign_due_at__lte=now) | Q(
        status__in=(Status.PENDING, Status.HANDLING), due_at__lte=now
    )
    return Q(paused_at__isnull=True) & running_out


def open_by_category(user: Any, node: Region, *, now: datetime.datetime | None = None) -> list[CategoryCount]:
    """Open problems (待受理 … 待评价) of enterprises in the node's subtree, now, per category:
    how many, how many urgent, how many overdue (running clock past due and not paused)."""
    now = now or timezone.now()
    rows = (
        Problem.objects.visible_to(user)
        .filter(enterprise__region__path__startswith=node.path, status__in=OPEN_STATUSES)
        .values("category_id", "category__name", "category__sort_order")
        .annotate(
            open=Count("pk", distinct=True),
            urgent=Count("pk", distinct=True, filter=Q(urgency="urgent")),
            overdue=Count("pk", distinct=True, filter=overdue_q(now)),
        )
        .order_by("-open", "category__sort_order")
    )
    return [
        CategoryCount(r["category_id"], r["category__name"], r["open"], r["urgent"], r["overdue"])
        for r in rows
    ]


@dataclass
class Cluster:
    """Similar open problems of one category: the first one is the cluster's seed."""

    category: str
    problems: list[Problem]

    @property
    def title(self) -> str:
        return self.problems[0].title

    @property
    def enterprises(self) -> int:
        return len({p.enterprise_id for p in self.problems})


def text_of(problem: Problem) -> str:
    return problem.title + problem.description  # as the duplicate check at intake compares


def common_problems(
    user: Any, node: Region, *, min_enterprises: int = CLUSTER_MIN_ENTERPRISES
) -> list[Cluster]:
    """共性问题: open problems of enterprises in the node's subtree, per category, oldest first;
    each joins the first cluster whose seed (first problem) it is similar to (similar.similar on
    title + description), else starts one. Clusters spanning ≥ min_enterprises different
    enterprises are returned, most enterprises first. Only the newest CLUSTER_MAX_PER_CATEGORY
    open problems of a category are compared."""
    open_problems = (
        Problem.objects.visible_to(user)
        .filter(enterprise__region__path__startswith=node.path, status__in=OPEN_STATUSES)
        .select_related("category", "enterprise__region")
    )
    by_category: dict[int, list[Problem]] = {}
    for p in open_problems.order_by("category_id", "-received_at", "-pk"):
        kept = by_category.setdefault(p.category_id, [])
        if len(kept) < CLUSTER_MAX_PER_CATEGORY:
            kept.append(p)
    found: list[Cluster] = []
    for problems in by_category.values():
        clusters: list[Cluster] = []
        for p in reversed(problems):  # oldest first: the earliest report names the cluster
            home = next((c for c in clusters if similar(text_of(c.problems[0]), text_of(p))), None)
            if home is None:
                clusters.append(Cluster(p.category.name, [p]))
            else:
                home.problems.append(p)
        found += [c for c in clusters if c.enterprises >= min_enterprises]
    return sorted(found, key=lambda c: (-c.enterprises, -len(c.problems), c.category))
