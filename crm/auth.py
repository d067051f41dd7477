"""The authentication backend: Django's ModelBackend, except that the user a session names is
read together with their roles.

Every signed-in page asks for the user's roles (the navbar, the role check, record rules): read
with the user they cost no query of their own, and they are as fresh as the user row (a demoted
rep loses the page on their next request). The query is written once per process from the
models' tables: built through the ORM, its three EXISTS subqueries took 1.5 ms a request to
assemble and compile, and 0.05 ms to run.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from crm.roles import Role, remember_roles


@cache
def _user_with_roles_sql(vendor: str) -> str:
    """SELECT the user's columns and, per role, whether they are in its group; one parameter
    per role's group name, then the user's id. (`vendor` keys the cache: names are quoted per
    engine.)"""
    User = get_user_model()
    membership = User.groups.through
    Group = User.groups.field.related_model
    q = connection.ops.quote_name
    columns = ", ".join(f"u.{q(field.column)}" for field in User._meta.concrete_fields)
    held = ", ".join(
        f"EXISTS (SELECT 1 FROM {q(membership._meta.db_table)} m "
        f"INNER JOIN {q(Group._meta.db_table)} g ON g.{q(Group._meta.pk.column)} = "
        f"m.{q(membership._meta.get_field('group').column)} "
        f"WHERE m.{q(membership._meta.get_field('user').column)} = u.{q(User._meta.pk.column)} "
        f"AND g.{q('name')} = %s) AS holds_{role.name.lower()}"
        for role in Role
    )
    return (
        f"SELECT {columns}, {held} FROM {q(User._meta.db_table)} u "
        f"WHERE u.{q(User._meta.pk.column)} = %s"
    )


class RoleBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:  # a session naming no possible id
            return None
        sql = _user_with_roles_sql(connection.vendor)
        user = next(iter(User._default_manager.raw(sql, [*Role.values, user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(
            user, (role.value for role in Role if getattr(user, f"holds_{role.name.lower()}"))
        )
        return user
