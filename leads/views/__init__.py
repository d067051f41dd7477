"""The leads app's pages, one module per part of the work."""

from leads.views.deals import (  # noqa: F401
    AccountDetailView,
    AccountListView,
    AccountUpdateView,
    OpportunityCreateView,
    OpportunityDetailView,
    OpportunityListView,
    OpportunityUpdateView,
    PipelineBoardView,
    StageProbabilityView,
    opportunity_action,
)
from leads.views.history import (  # noqa: F401
    ActivityListView,
    HandoffListView,
    handoff_export,
)
from leads.views.importing import (  # noqa: F401
    DealImportMappingView,
    DealImportStatusView,
    DealImportUploadView,
    ImportMappingView,
    ImportStatusView,
    ImportUploadView,
    deal_import_errors,
    import_errors,
)
from leads.views.inbox import InboxView, inbox_bulk  # noqa: F401
from leads.views.marketing import (  # noqa: F401
    LeadCreateView,
    LeadListView,
    LeadUpdateView,
    NurtureView,
    ScoringRuleCreateView,
    ScoringRuleDeleteView,
    ScoringRuleListView,
    ScoringRuleUpdateView,
    lead_bulk_send,
    lead_export,
    lead_send,
)
from leads.views.proposals import (  # noqa: F401
    ProposalDetailView,
    ProposalListView,
    ProposalPrintView,
    proposal_action,
    proposal_create,
    proposal_update,
)
from leads.views.records import (  # noqa: F401
    ActivityDeleteView,
    ActivityUpdateView,
    LeadDetailView,
    lead_action,
    lead_activity,
    opportunity_activity,
)
