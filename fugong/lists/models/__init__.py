"""The lists app's models: key-enterprise lists (key_lists), who answers for whom (assignments)
and what they found (visits). Imported here so that `fugong.lists.models` names them all."""

from fugong.lists.models.assignments import Assignment, AssignmentRole, AssignmentScope
from fugong.lists.models.key_lists import (
    DEFAULT_APPROVAL_LEVELS,
    LEVEL_LABELS,
    TIER_OF_LEVEL,
    CandidateFacts,
    KeyList,
    KeyListShare,
    Kind,
    ListEntry,
    Nomination,
    NominationStatus,
    RiskLevel,
    Tier,
    Urgency,
)
from fugong.lists.models.visits import (
    QuestionList,
    Visit,
    VisitAttachment,
    VisitMethod,
    VisitProblem,
)

__all__ = [
    "DEFAULT_APPROVAL_LEVELS",
    "LEVEL_LABELS",
    "TIER_OF_LEVEL",
    "Assignment",
    "AssignmentRole",
    "AssignmentScope",
    "CandidateFacts",
    "KeyList",
    "KeyListShare",
    "Kind",
    "ListEntry",
    "Nomination",
    "NominationStatus",
    "QuestionList",
    "RiskLevel",
    "Tier",
    "Urgency",
    "Visit",
    "VisitAttachment",
    "VisitMethod",
    "VisitProblem",
]
