from functools import cache

from accounts import credits


def credit_balance(request):
    """`credit_balance` for the header: read only if a template shows it, once per response."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"credit_balance": cache(lambda: credits.balance_of(user))}
