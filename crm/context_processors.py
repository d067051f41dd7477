from crm import roles as rules


def roles(request):
    """What the navbar needs to show only the links the user's role may use."""
    user = request.user
    manager = rules.is_manager(user)
    return {
        "user_role": rules.primary_role(user),
        "user_is_manager": manager,
        "user_is_marketer": manager or rules.is_marketer(user),
        "user_is_rep": manager or rules.is_rep(user),
    }
