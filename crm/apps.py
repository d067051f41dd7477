from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Handoff"

    def ready(self):
        # The groups come from a data migration, but `flush` (run by `seed_demo --force` and
        # after transactional tests) empties the auth tables and then sends post_migrate:
        # syncing here too puts the groups and their permissions back.
        post_migrate.connect(_sync_role_groups, sender=self)


def _sync_role_groups(sender, using, apps=None, **kwargs):
    from django.apps import apps as global_apps

    from crm.roles import sync_role_groups

    # `migrate` passes the migrated state's registry; `flush` passes none.
    sync_role_groups(apps or global_apps, using=using)
