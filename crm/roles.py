"""Roles: who may do what. Every view and service asks here, nowhere else.

A role is a Django group. Managers may do everything; marketers own campaigns and leads before
the handoff; sales reps act on the leads and deals assigned to them. Record-level rules (which
lead a rep may touch) live on the models' `visible_to()` querysets and `can_*_by()` methods,
which call these helpers.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import models


def display_name(first_name: str | None, last_name: str | None, username: str) -> str:
    """How a person is named on a page: the full name, else the username (what
    `get_full_name() or get_username()` gives, for a user read as values)."""
    return f"{first_name} {last_name}".strip() or username


class Role(models.TextChoices):
    MARKETING = "Marketing", "Marketer"
    SALES = "Sales", "Sales rep"
    MANAGERS = "Managers", "Manager"


# Where each role lands after login.
HOME_URL_NAMES = {
    Role.MANAGERS: "reports:dashboard",
    Role.MARKETING: "campaigns:campaign-list",
    Role.SALES: "leads:inbox",
}

ROLE_APPS = ("campaigns", "leads", "reports")

_ALL = frozenset({"view", "add", "change", "delete"})
_READ = frozenset({"view"})
_WRITE = frozenset({"view", "add", "change"})

# Managers hold every permission of the role apps, except on history nobody rewrites: the
# append-only logs the reports are computed from, and SLA versions (a change is a new version).
MANAGER_LIMITS = {
    "campaigns.campaigntally": _READ,  # counted by the database itself
    "leads.leadtransition": _READ,
    "leads.opportunitystagechange": _READ,
    "reports.servicelevelagreement": frozenset({"view", "add"}),
}

# Model permissions per role (managers get every permission of the role apps, see below).
ROLE_PERMISSIONS = {
    Role.MARKETING: {
        "campaigns.campaign": _ALL,
        "campaigns.spendentry": _ALL,
        "leads.lead": _WRITE,
        "leads.leadtransition": _READ,
        "leads.activity": _WRITE,
        "leads.account": _READ,
        "leads.opportunity": _READ,
        "leads.formsubmission": _READ,
        "leads.scoringrule": _ALL,
        "reports.servicelevelagreement": _READ,
    },
    Role.SALES: {
        "campaigns.campaign": _READ,
        "leads.lead": frozenset({"view", "change"}),
        "leads.leadtransition": _READ,
        "leads.activity": _WRITE,
        "leads.account": _WRITE,
        "leads.opportunity": _WRITE,
        "leads.opportunitystagechange": _READ,
        "leads.proposal": _WRITE,
        "leads.proposalline": _ALL,
        "leads.formsubmission": _READ,
        "leads.scoringrule": _READ,
        "reports.servicelevelagreement": _READ,
        "reports.quota": _READ,
    },
}


def _wanted_permissions(role: Role, available: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """(app_label, codename) pairs for `role`, from (app_label, model, codename) triples."""
    wanted = set()
    for app_label, model, codename in available:
        action = codename.split("_", 1)[0]
        label = f"{app_label}.{model}"
        if role == Role.MANAGERS:
            allowed = MANAGER_LIMITS.get(label, _ALL)
        else:
            allowed = ROLE_PERMISSIONS[role].get(label, frozenset())
        if action in allowed:
            wanted.add((app_label, codename))
    return wanted


def sync_role_groups(apps, using: str = "default") -> None:
    """Create the three role groups and give each exactly its permissions. Idempotent."""
    from django.contrib.auth.management import create_permissions

    # Permissions of the role apps may not exist yet when this runs (a data migration, or the
    # post_migrate of an app sent before theirs): create them first.
    for label in ROLE_APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        if getattr(app_config, "models_module", None) is None:
            app_config.models_module = True  # historical app registries leave it unset
        create_permissions(app_config, verbosity=0, using=using, apps=apps)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.using(using)
        .filter(content_type__app_label__in=ROLE_APPS)
        .values_list("pk", "content_type__app_label", "content_type__model", "codename")
    )
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = _wanted_permissions(role, [(a, m, c) for _, a, m, c in permissions])
        group.permissions.set([pk for pk, a, _, c in permissions if (a, c) in wanted])


def remember_roles(user, names) -> frozenset[str]:
    """Keep `names` (the groups `user` is in, of Role's) on the user object for the request; a
    superuser is a manager too."""
    names = set(names)
    if user.is_superuser:
        names.add(Role.MANAGERS.value)
    user._handoff_roles = frozenset(names)
    return user._handoff_roles


def roles_of(user) -> frozenset[str]:
    """The role names of `user`, read once per request and kept on the user object (a
    signed-in request's user comes with them: crm.auth.RoleBackend)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_handoff_roles", None)
    if cached is None:
        names = user.groups.filter(name__in=Role.values).values_list("name", flat=True)
        cached = remember_roles(user, names)
    return cached


def has_role(user, *roles: Role) -> bool:
    held = roles_of(user)
    return Role.MANAGERS.value in held or any(role.value in held for role in roles)


def is_manager(user) -> bool:
    return Role.MANAGERS.value in roles_of(user)


def is_marketer(user) -> bool:
    return Role.MARKETING.value in roles_of(user)


def is_rep(user) -> bool:
    return Role.SALES.value in roles_of(user)


def primary_role(user) -> Role | None:
    held = roles_of(user)
    for role in (Role.MANAGERS, Role.MARKETING, Role.SALES):
        if role.value in held:
            return role
    return None


def home_url_name(user) -> str | None:
    role = primary_role(user)
    return HOME_URL_NAMES[role] if role else None


class RoleRequiredMixin(LoginRequiredMixin):
    """Login first, then one of `roles` (managers always pass); anything else is a 403."""

    roles: tuple[Role, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_role(request.user, *self.roles):
            raise PermissionDenied("Your role does not give access to this page.")
        return super().dispatch(request, *args, **kwargs)


def role_required(*roles: Role):
    """Function-view twin of `RoleRequiredMixin`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
