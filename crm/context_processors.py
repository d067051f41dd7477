from crm import roles as rules

# The pages under the navbar's "Pipeline" link (URL names).
PIPELINE_PAGES = frozenset(
    {
        "pipeline",
        "opportunity-list",
        "opportunity-detail",
        "opportunity-create",
        "opportunity-update",
        "opportunity-import",
        "proposal-list",
        "proposal-detail",
        "proposal-create",
        "proposal-update",
        "account-list",
        "account-detail",
        "account-update",
        "stage-probabilities",
        "quota-list",
        "quota-create",
        "quota-update",
        "quota-delete",
    }
)

# The report pages under the navbar's "Reports" (the SLA and quotas have their own links).
REPORT_PAGES = frozenset(
    {"dashboard", "funnel", "campaigns", "response", "rejections", "sales", "pipeline", "revenue"}
)


def roles(request):
    """What the navbar needs to show only the links the user's role may use."""
    user = request.user
    manager = rules.is_manager(user)
    return {
        "user_role": rules.primary_role(user),
        "user_is_manager": manager,
        "user_is_marketer": manager or rules.is_marketer(user),
        "user_is_rep": manager or rules.is_rep(user),
        "pipeline_pages": PIPELINE_PAGES,
        "report_pages": REPORT_PAGES,
    }
