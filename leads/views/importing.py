"""CSV import in the browser: upload, map, preview, progress."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET
from django.views.generic import (
    DetailView,
    FormView,
)

from crm.roles import Role, RoleRequiredMixin, role_required
from leads import importer, imports
from leads.forms import (
    ImportMappingForm,
    ImportUploadForm,
)
from leads.models import (
    LeadImport,
)

# --- CSV import ----------------------------------------------------------------------------------


class ImportUploadView(RoleRequiredMixin, FormView):
    roles = (Role.MARKETING,)
    form_class = ImportUploadForm
    template_name = "leads/import_upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = LeadImport.objects.select_related("created_by")[:10]
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            lead_import = imports.import_create(
                by=self.request.user,
                raw=upload.read(),
                filename=upload.name,
                campaign=form.cleaned_data["campaign"],
                dayfirst=form.cleaned_data["dayfirst"],
                on_duplicate=form.cleaned_data["on_duplicate"],
            )
        except importer.FileProblem as e:
            form.add_error("file", str(e))
            return self.form_invalid(form)
        return redirect(lead_import)


PREVIEW_ROWS = 5


class ImportMappingView(RoleRequiredMixin, DetailView):
    """Map the columns, see the first rows as they will be imported, then import."""

    roles = (Role.MARKETING,)
    model = LeadImport
    template_name = "leads/import_mapping.html"

    def get_queryset(self):
        return LeadImport.objects.filter(status=LeadImport.Status.UPLOADED)

    def _form(self, data=None):
        lead_import = self.object
        initial = {
            "channel_map": "\n".join(f"{k} = {v}" for k, v in lead_import.channel_map.items())
        }
        return ImportMappingForm(
            data, header=lead_import.header, mapping=lead_import.mapping, initial=initial
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form()
        preview = self._preview(self.object.mapping, self.object.channel_map)
        return self.render_to_response(self.get_context_data(form=form, preview=preview))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form(request.POST)
        if not form.is_valid():
            context = self.get_context_data(form=form, preview=None)
            return self.render_to_response(context, status=400)
        mapping, channel_map = form.cleaned_data["mapping"], form.cleaned_data["channel_map"]
        if "import" not in request.POST:
            LeadImport.objects.filter(pk=self.object.pk).update(
                mapping=mapping, channel_map=channel_map
            )
            preview = self._preview(mapping, channel_map)
            return self.render_to_response(self.get_context_data(form=form, preview=preview))
        imports.import_queue(lead_import=self.object, mapping=mapping, channel_map=channel_map)
        messages.success(request, f"Importing {self.object.filename}.")
        return redirect("leads:import-status", pk=self.object.pk)

    def _preview(self, mapping, channel_map):
        options = importer.Options(
            mapping=mapping,
            campaign=self.object.campaign,
            channel_map={k.casefold(): v for k, v in channel_map.items()},
            dayfirst=self.object.dayfirst,
        )
        header, rows = importer.read(self.object.content)
        preview = []
        for line, cells in enumerate(rows, start=2):
            if len(preview) == PREVIEW_ROWS:
                break
            if not any(cell.strip() for cell in cells):
                continue
            errors = []
            parsed = importer.parse_row(
                line, dict(zip(header, cells, strict=False)), options, errors
            )
            preview.append(
                {"line": line, "values": parsed.values if parsed else {}, "errors": errors}
            )
        columns = [name for name in importer.FIELDS if name in mapping and name != "full_name"]
        if "full_name" in mapping:
            columns = ["first_name", "last_name", *columns]
        labels = {name: label for name, (label, _) in importer.FIELDS.items()}
        return {"columns": [(c, labels[c]) for c in columns], "rows": preview}


class ImportStatusView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING,)
    model = LeadImport
    template_name = "leads/import_status.html"


@role_required(Role.MARKETING)
@require_GET
def import_errors(request, pk):
    lead_import = get_object_or_404(LeadImport, pk=pk)
    response = HttpResponse(lead_import.error_report, content_type="text/csv; charset=utf-8")
    name = lead_import.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{name}-errors.csv"'
    return response
