"""The admin site and the building blocks the apps' admins share (this app registers no
models of its own)."""

from django.contrib import admin

from crm.roles import is_manager


class HandoffAdminSite(admin.AdminSite):
    """Django's admin, for staff managers only. Staff status alone is not enough: a staff rep's
    Sales permissions would let the admin show and change every rep's leads and deals, which
    the app's pages refuse record by record."""

    site_header = "Handoff administration"

    def has_permission(self, request):
        return super().has_permission(request) and is_manager(request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For history that is never rewritten (transition logs, SLA versions): the admin may read
    it, never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """A history log shown under its record, read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
