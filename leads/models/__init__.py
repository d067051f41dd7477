"""Leads and everything sales does with them, one module per sub-domain."""

from leads.models.base import CENT, AppendOnlyModel, AppendOnlyQuerySet, CompanySize, to_cents
from leads.models.deals import (
    MONEY,
    WEIGHTED_TOTAL,
    Account,
    AccountQuerySet,
    Opportunity,
    OpportunityQuerySet,
    OpportunityStage,
    OpportunityStageChange,
    StageProbability,
)
from leads.models.intake import AssignmentCursor, FormSubmission, LeadImport, ScoringRule, SlaBreach
from leads.models.leads import (
    REASON_LABELS,
    Activity,
    ActivityKind,
    DisqualifyReason,
    Lead,
    LeadQuerySet,
    LeadStage,
    LeadTransition,
    MqlReason,
    RejectReason,
)
from leads.models.proposals import Proposal, ProposalLine, ProposalQuerySet, ProposalStatus

__all__ = [
    "CENT",
    "MONEY",
    "REASON_LABELS",
    "WEIGHTED_TOTAL",
    "Account",
    "AccountQuerySet",
    "Activity",
    "ActivityKind",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AssignmentCursor",
    "CompanySize",
    "DisqualifyReason",
    "FormSubmission",
    "Lead",
    "LeadImport",
    "LeadQuerySet",
    "LeadStage",
    "LeadTransition",
    "MqlReason",
    "Opportunity",
    "OpportunityQuerySet",
    "OpportunityStage",
    "OpportunityStageChange",
    "Proposal",
    "ProposalLine",
    "ProposalQuerySet",
    "ProposalStatus",
    "RejectReason",
    "ScoringRule",
    "SlaBreach",
    "StageProbability",
    "to_cents",
]
