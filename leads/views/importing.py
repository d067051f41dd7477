"""CSV import in the browser, for leads (marketing) and for deals (managers): upload, map the
columns, preview the first rows, then follow the background import's progress."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, FormView

from crm.roles import Role, RoleRequiredMixin, role_required
from leads import deal_importer, importer, imports
from leads.forms import (
    DealImportMappingForm,
    DealImportUploadForm,
    ImportMappingForm,
    ImportUploadForm,
)
from leads.models import LeadImport

Kind = LeadImport.Kind
PREVIEW_ROWS = 5


class ImportUploadView(RoleRequiredMixin, FormView):
    roles = (Role.MARKETING,)
    kind = Kind.LEADS
    form_class = ImportUploadForm
    template_name = "leads/import_upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = LeadImport.objects.filter(kind=self.kind).select_related("created_by")[
            :10
        ]
        context["kind"] = self.kind
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            lead_import = imports.import_create(
                by=self.request.user,
                raw=upload.read(),
                filename=upload.name,
                kind=self.kind,
                **form.options(),
            )
        except importer.FileProblem as e:
            form.add_error("file", str(e))
            return self.form_invalid(form)
        return redirect(lead_import)


class DealImportUploadView(ImportUploadView):
    roles = (Role.MANAGERS,)
    kind = Kind.OPPORTUNITIES
    form_class = DealImportUploadForm


class ImportMappingView(RoleRequiredMixin, DetailView):
    """Map the columns, see the first rows as they will be imported, then import."""

    roles = (Role.MARKETING,)
    kind = Kind.LEADS
    form_class = ImportMappingForm
    extra_setting = "channel_map"  # the names-to-values setting this kind has
    template_name = "leads/import_mapping.html"

    def get_queryset(self):
        return LeadImport.objects.filter(kind=self.kind, status=LeadImport.Status.UPLOADED)

    def _form(self, data=None):
        lead_import = self.object
        saved = getattr(lead_import, self.extra_setting)
        initial = {self.extra_setting: "\n".join(f"{k} = {v}" for k, v in saved.items())}
        return self.form_class(
            data, header=lead_import.header, mapping=lead_import.mapping, initial=initial
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form()
        preview = self._preview(self.object.mapping, getattr(self.object, self.extra_setting))
        return self.render_to_response(self.get_context_data(form=form, preview=preview))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form(request.POST)
        if not form.is_valid():
            context = self.get_context_data(form=form, preview=None)
            return self.render_to_response(context, status=400)
        mapping, names = form.cleaned_data["mapping"], form.cleaned_data[self.extra_setting]
        if "import" not in request.POST:
            LeadImport.objects.filter(pk=self.object.pk).update(
                mapping=mapping, **{self.extra_setting: names}
            )
            preview = self._preview(mapping, names)
            return self.render_to_response(self.get_context_data(form=form, preview=preview))
        imports.import_queue(
            lead_import=self.object, mapping=mapping, **{self.extra_setting: names}
        )
        messages.success(request, f"Importing {self.object.filename}.")
        return redirect(f"leads:{self.object.url_prefix}-status", pk=self.object.pk)

    def _parse(self, options, line, cells, errors):
        return importer.parse_row(line, cells, options, errors)

    def _options(self, mapping, names):
        names = {k.casefold(): v for k, v in names.items()}
        return imports.options_for(self.object, mapping=mapping, **{self.extra_setting: names})

    def _preview(self, mapping, names):
        options = self._options(mapping, names)
        header, rows = importer.read(self.object.content)
        preview = []
        for line, cells in enumerate(rows, start=2):
            if len(preview) == PREVIEW_ROWS:
                break
            if not any(cell.strip() for cell in cells):
                continue
            errors = []
            parsed = self._parse(options, line, dict(zip(header, cells, strict=False)), errors)
            preview.append(
                {"line": line, "values": parsed.values if parsed else {}, "errors": errors}
            )
        spec = self.form_class.field_spec
        columns = [name for name in spec if name in mapping and name != "full_name"]
        if "full_name" in mapping:
            columns = ["first_name", "last_name", *columns]
        labels = {name: label for name, (label, _) in importer.FIELDS.items()}
        labels |= {name: label for name, (label, _) in spec.items()}
        return {"columns": [(c, labels[c]) for c in columns], "rows": preview}


class DealImportMappingView(ImportMappingView):
    roles = (Role.MANAGERS,)
    kind = Kind.OPPORTUNITIES
    form_class = DealImportMappingForm
    extra_setting = "stage_map"

    def _parse(self, options, line, cells, errors):
        if not hasattr(self, "_people"):
            # Preview never creates anyone: unknown owners show as the name to be created.
            self._people = deal_importer.People(create=options.create_users)
        return deal_importer.parse_row(line, cells, options, self._people, errors)


class ImportStatusView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING,)
    kind = Kind.LEADS
    template_name = "leads/import_status.html"

    def get_queryset(self):
        return LeadImport.objects.filter(kind=self.kind)


class DealImportStatusView(ImportStatusView):
    roles = (Role.MANAGERS,)
    kind = Kind.OPPORTUNITIES


def _error_report(request, pk, kind):
    lead_import = get_object_or_404(LeadImport, pk=pk, kind=kind)
    response = HttpResponse(lead_import.error_report, content_type="text/csv; charset=utf-8")
    name = lead_import.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{name}-errors.csv"'
    return response


@role_required(Role.MARKETING)
@require_GET
def import_errors(request, pk):
    return _error_report(request, pk, Kind.LEADS)


@role_required(Role.MANAGERS)
@require_GET
def deal_import_errors(request, pk):
    return _error_report(request, pk, Kind.OPPORTUNITIES)
