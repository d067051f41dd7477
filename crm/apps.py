from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class HandoffAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with Handoff's site: staff managers only (crm.admin)."""

    default = False  # this module's default is CrmConfig
    default_site = "crm.admin.HandoffAdminSite"


class CrmConfig(AppConfig):
    default = True
    name = "crm"
    verbose_name = "Handoff"

    def ready(self):
        # The groups come from a data migration, but `flush` (run by `seed_demo --force` and
        # after transactional tests) empties the auth tables and then sends post_migrate:
        # syncing here too puts the groups and their permissions back.
        post_migrate.connect(_sync_role_groups, sender=self)
        from crm.audit import register_all

        register_all()


def _sync_role_groups(sender, using, apps=None, **kwargs):
    from django.apps import apps as global_apps

    from crm.roles import sync_role_groups

    # `migrate` passes the migrated state's registry; `flush` passes none.
    sync_role_groups(apps or global_apps, using=using)
