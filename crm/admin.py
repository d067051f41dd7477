"""Admin building blocks shared by the apps (this app registers no models of its own)."""

from django.contrib import admin


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
