from django.apps import AppConfig
from django.db.backends.signals import connection_created


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        from leads import search

        connection_created.connect(search.add_sqlite_functions, dispatch_uid="leads.search")
