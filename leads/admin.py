from django.contrib import admin

from crm.admin import ReadOnlyAdmin, ReadOnlyInline
from leads.models import (
    AcceptedLeadTally,
    Account,
    Activity,
    AssignmentCursor,
    FormSubmission,
    Lead,
    LeadImport,
    LeadTransition,
    Opportunity,
    OpportunityStageChange,
    PipelineTally,
    Proposal,
    ProposalLine,
    ScoringRule,
    SlaBreach,
    StageProbability,
)


class LeadTransitionInline(ReadOnlyInline):
    model = LeadTransition
    fields = ["at", "from_stage", "to_stage", "actor", "reason", "detail", "sla"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "company",
        "stage",
        "score",
        "owner",
        "campaign",
        "created_at",
    ]
    list_filter = ["stage", "channel", "company_size", "created_at"]
    search_fields = ["first_name", "last_name", "email", "company", "external_id"]
    list_select_related = ["owner", "campaign"]
    raw_id_fields = ["owner", "campaign", "account"]
    # The stage and its timestamps move only through the state-machine services.
    readonly_fields = [
        "stage",
        "stage_changed_at",
        "stage_reason",
        "recycle_count",
        "mql_at",
        "accepted_at",
        "first_response_at",
        "qualified_at",
        "converted_at",
        "closed_at",
    ]
    date_hierarchy = "created_at"
    inlines = [LeadTransitionInline]


@admin.register(LeadTransition)
class LeadTransitionAdmin(ReadOnlyAdmin):
    list_display = ["lead", "from_stage", "to_stage", "actor", "reason", "at"]
    list_filter = ["to_stage", "from_stage", "reason", "at"]
    search_fields = ["lead__first_name", "lead__last_name", "lead__email", "detail"]
    list_select_related = ["lead", "actor"]
    date_hierarchy = "at"


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["kind", "outcome", "author", "lead", "opportunity", "occurred_at"]
    list_filter = ["kind", "outcome", "occurred_at"]
    search_fields = ["body", "lead__last_name", "opportunity__name"]
    list_select_related = ["author", "lead", "opportunity"]
    raw_id_fields = ["lead", "opportunity", "author"]
    date_hierarchy = "occurred_at"


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "company_size", "country", "customer_since", "owner"]
    list_filter = ["company_size", "customer_since"]
    search_fields = ["name", "website"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


class OpportunityStageChangeInline(ReadOnlyInline):
    model = OpportunityStageChange
    fields = ["at", "from_stage", "to_stage", "from_amount", "to_amount", "actor", "note"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "owner",
        "stage",
        "amount",
        "type",
        "expected_close_date",
        "closed_date",
    ]
    list_filter = ["stage", "type", "lost_reason", "expected_close_date"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account", "owner"]
    raw_id_fields = ["account", "lead", "owner"]
    readonly_fields = ["stage", "probability", "closed_date", "stage_changed_at"]
    inlines = [OpportunityStageChangeInline]


@admin.register(OpportunityStageChange)
class OpportunityStageChangeAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "from_stage", "to_stage", "to_amount", "actor", "at"]
    list_filter = ["to_stage", "at"]
    search_fields = ["opportunity__name"]
    list_select_related = ["opportunity", "actor"]


class ProposalLineInline(ReadOnlyInline):
    model = ProposalLine
    fields = ["position", "description", "quantity", "unit_price", "discount_percent"]


# Proposals change through the app, which keeps their totals and version rules.
@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["title", "opportunity", "version", "status", "valid_until", "total", "author"]
    list_filter = ["status", "valid_until"]
    search_fields = ["title", "opportunity__name", "opportunity__account__name"]
    list_select_related = ["opportunity", "author"]
    raw_id_fields = ["opportunity", "author"]
    inlines = [ProposalLineInline]


@admin.register(ProposalLine)
class ProposalLineAdmin(ReadOnlyAdmin):
    list_display = ["description", "proposal", "quantity", "unit_price", "discount_percent"]
    search_fields = ["description", "proposal__title"]
    list_select_related = ["proposal"]
    raw_id_fields = ["proposal"]


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin):
    list_display = ["lead", "campaign", "submitted_at", "utm_source", "utm_medium", "consent"]
    list_filter = ["consent", "submitted_at", "campaign__channel"]
    search_fields = ["lead__email", "lead__last_name", "campaign__name", "utm_campaign"]
    list_select_related = ["lead", "campaign"]
    raw_id_fields = ["lead", "campaign"]
    date_hierarchy = "submitted_at"


@admin.register(ScoringRule)
class ScoringRuleAdmin(ReadOnlyAdmin):
    """Read here; change rules on the scoring page, which rescores every lead."""

    list_display = ["__str__", "field", "condition", "points", "is_active"]
    list_filter = ["field", "condition", "is_active"]
    search_fields = ["value"]


@admin.register(LeadImport)
class LeadImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "created_by", "status", "total_rows", "created_count", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["filename"]
    list_select_related = ["created_by"]
    exclude = ["content"]


@admin.register(AssignmentCursor)
class AssignmentCursorAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "last_rep", "updated_at"]
    search_fields = ["last_rep__username"]


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyAdmin):
    list_display = ["lead", "due_at", "rep", "alerted_at", "escalated_at"]
    list_filter = ["due_at", "escalated_at"]
    search_fields = ["lead__last_name", "lead__email"]
    list_select_related = ["lead", "rep"]


@admin.register(StageProbability)
class StageProbabilityAdmin(ReadOnlyAdmin):
    list_display = ["stage", "probability", "updated_by", "updated_at"]


@admin.register(PipelineTally)
class PipelineTallyAdmin(ReadOnlyAdmin):
    """The database's triggers keep these figures (migration leads 0035)."""

    list_display = ["owner", "stage", "deals", "amount_cents", "weighted_cents_percent"]
    list_filter = ["stage"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]


@admin.register(AcceptedLeadTally)
class AcceptedLeadTallyAdmin(ReadOnlyAdmin):
    """The database's triggers keep these figures (migration leads 0037)."""

    list_display = ["owner", "leads"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
