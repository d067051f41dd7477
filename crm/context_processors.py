from crm import roles


def roles(request):
    """What the navbar needs to show only the links the user's role may use."""
    user = request.user
    return {
        "user_role": roles.primary_role(user),
        "user_is_manager": roles.is_manager(user),
        "user_is_marketer": roles.is_manager(user) or roles.is_marketer(user),
        "user_is_rep": roles.is_manager(user) or roles.is_rep(user),
    }
