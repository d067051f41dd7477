import datetime as dt

from django.utils import timezone
from django.views.generic import TemplateView

from crm.roles import Role, RoleRequiredMixin
from reports import selectors
from reports.models import ServiceLevelAgreement


class DashboardView(RoleRequiredMixin, TemplateView):
    """The manager's home; marketers and reps read it too."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        start_date, end_date = selectors.month_bounds(today)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(start_date, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(end_date, dt.time.min, tzinfo=tz)
        context.update(
            month=start_date,
            headlines=selectors.month_headlines(start, end, start_date, end_date),
            leads_by_stage=selectors.leads_by_stage(),
            pipeline=selectors.open_pipeline_by_stage(),
            sla=ServiceLevelAgreement.objects.current(),
        )
        return context
